// Command peers measures ginauth's protected route against its peers on
// loopback, as scripts/bench-peers runs it:
//
//	peers run -example EXAMPLE_BINARY -node NODE_DIR [flags]
//
// It starts each server in turn (ginauth's example in v5 and v4 mode,
// @auth/express, NextAuth.js v4's getToken on node:http, gin-jwt and
// gin-contrib/sessions' cookie store), all serving GET /api/protected,
// drives it with wrk for a single token, for N distinct users' tokens
// (rotated by rotate.lua) and for a flood of forged tokens, three rounds
// each, and prints the medians, the ratios and the servers' memory.
//
//	peers serve gin-jwt|sessions|ginauth-v5|ginauth-v4 -addr ADDR -secret SECRET
//
// serves one of the Go servers: the peers, or ginauth's RequireAuth on
// the same bare Gin engine.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: peers run|serve ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		fs := flag.NewFlagSet("serve", flag.ExitOnError)
		addr := fs.String("addr", "127.0.0.1:8091", "listen address")
		secret := fs.String("secret", "", "shared secret")
		if len(os.Args) < 3 {
			fmt.Fprintln(os.Stderr, "usage: peers serve gin-jwt|sessions|ginauth-v5|ginauth-v4 -addr ADDR -secret SECRET")
			os.Exit(2)
		}
		_ = fs.Parse(os.Args[3:])
		err = serve(os.Args[2], *addr, *secret)
	case "run":
		err = run(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}
