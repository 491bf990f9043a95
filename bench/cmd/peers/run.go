package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// bareV5 is ginauth v5's RequireAuth on the bare Gin engine the Go peers
// use (the example adds pages, security headers and a Session callback).
const bareV5 = "ginauth v5, bare Gin"

// server is one peer under test.
type server struct {
	name  string
	kind  string // token kind
	start func(port int) *exec.Cmd
}

// scenario is one wrk run: n distinct valid tokens, or forged ones.
type scenario struct {
	name    string
	n       int
	garbage bool
}

type result struct {
	rps       []float64 // one per round
	cpu       []float64 // the server's CPU time per request, µs, one per round
	non2xx    int
	rssKiB    int // after the scenario's last round
	wrkErrors bool
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	example := fs.String("example", "", "ginauth's example binary")
	nodeDir := fs.String("node", "", "directory of the Node peers (with node_modules)")
	lua := fs.String("lua", "", "wrk script rotating the tokens (default: rotate.lua beside -node)")
	users := fs.String("users", "1000,20000,200000", "numbers of distinct users")
	rounds := fs.Int("rounds", 3, "rounds of every run")
	duration := fs.Duration("duration", 5*time.Second, "length of one wrk run")
	conns := fs.Int("c", 32, "wrk connections")
	threads := fs.Int("t", 2, "wrk threads")
	only := fs.String("only", "", "comma-separated servers to run (default: all)")
	workDir := fs.String("work", "", "directory for token files (default: a temporary one)")
	db := fs.String("db", "", "PostgreSQL URL: also measure database sessions (ginauth's example and @auth/express on @auth/pg-adapter), on this database, which is emptied")
	_ = fs.Parse(args)
	if *example == "" || *nodeDir == "" {
		return errors.New("run needs -example and -node")
	}
	if *lua == "" {
		*lua = filepath.Join(filepath.Dir(filepath.Clean(*nodeDir)), "rotate.lua")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if *workDir == "" {
		if *workDir, err = os.MkdirTemp("", "bench-peers-"); err != nil {
			return err
		}
		defer os.RemoveAll(*workDir)
	}

	const secret = "bench-peers-secret-0123456789abcdefghijklmnop"
	scenarios := []scenario{{name: "1 token", n: 1}}
	maxN := 1
	for _, s := range strings.Split(*users, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("bad -users entry %q", s)
		}
		scenarios = append(scenarios, scenario{name: humanN(n) + " users", n: n})
		maxN = max(maxN, n)
	}
	const garbageN = 20_000
	scenarios = append(scenarios, scenario{name: "garbage", n: garbageN, garbage: true})

	node := func(script string, env ...string) func(int) *exec.Cmd {
		return func(port int) *exec.Cmd {
			cmd := exec.Command("node", filepath.Join(*nodeDir, script))
			cmd.Env = append(os.Environ(), append(env, "PORT="+strconv.Itoa(port), "AUTH_SECRET="+secret)...)
			return cmd
		}
	}
	exampleCmd := func(mode string) func(int) *exec.Cmd {
		return func(port int) *exec.Cmd {
			cmd := exec.Command(*example)
			cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "AUTH_SECRET="+secret,
				"AUTH_URL=http://127.0.0.1:"+strconv.Itoa(port), "AUTH_MODE="+mode, "GIN_MODE=release")
			return cmd
		}
	}
	goPeer := func(name string) func(int) *exec.Cmd {
		return func(port int) *exec.Cmd {
			return exec.Command(self, "serve", name, "-addr", "127.0.0.1:"+strconv.Itoa(port), "-secret", secret)
		}
	}
	servers := []server{
		{"ginauth v5", "v5", exampleCmd("v5")},
		{"ginauth v4", "v4", exampleCmd("v4")},
		{bareV5, "v5", goPeer("ginauth-v5")},
		{"gin-jwt", "gin-jwt", goPeer("gin-jwt")},
		{"gin sessions", "sessions", goPeer("sessions")},
		{"@auth/express", "v5", node("authexpress.mjs")},
		{"NextAuth v4 getToken", "v4", node("nextauth4.mjs")},
	}
	if *db != "" {
		servers = append(servers,
			server{"ginauth v5 db", "db", func(port int) *exec.Cmd {
				cmd := exampleCmd("v5")(port)
				cmd.Env = append(cmd.Env, "DATABASE_URL="+*db, "AUTH_SESSION_STRATEGY=database")
				return cmd
			}},
			server{"@auth/express db", "db", node("authexpress.mjs", "DATABASE_URL="+*db)},
		)
	}
	if *only != "" {
		keep := strings.Split(*only, ",")
		servers = slices.DeleteFunc(servers, func(s server) bool { return !slices.Contains(keep, s.name) })
	}

	kinds, err := tokenKinds(secret)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(servers, func(s server) bool { return s.kind == "db" }) {
		if *db == "" {
			return errors.New("the database servers need -db")
		}
		tokens, err := seedDatabase(context.Background(), *db, maxN)
		if err != nil {
			return fmt.Errorf("seeding the database: %w", err)
		}
		kinds["db"] = databaseKind(tokens)
	}
	files := map[string]string{}
	for _, s := range servers {
		for _, garbage := range []bool{false, true} {
			key := s.kind + map[bool]string{false: ".valid", true: ".garbage"}[garbage]
			if files[key] != "" {
				continue
			}
			n := maxN
			if garbage {
				n = garbageN
			}
			path := filepath.Join(*workDir, key+".txt")
			fmt.Fprintf(os.Stderr, "making %d %s cookies\n", n, key)
			if err := writeTokens(path, kinds[s.kind], n, garbage); err != nil {
				return err
			}
			files[key] = path
		}
	}

	results, idle, err := measure(servers, *workDir, scenarios, files, *lua, *rounds, *duration, *conns, *threads)
	if err != nil {
		return err
	}
	printTable(os.Stdout, servers, scenarios, results, idle, *rounds, *duration, *conns, *threads)
	return nil
}

func humanN(n int) string {
	if n%1000 == 0 {
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// A running server: its process, its route and its results.
type running struct {
	server
	cmd     *exec.Cmd
	log     *os.File
	url     string
	idleKiB int
	results map[string]*result
}

// launch starts a server (its output goes to logPath) and checks that it
// accepts a valid token and refuses a forged one.
func launch(s server, port int, logPath string, files map[string]string) (*running, error) {
	r := &running{server: s, cmd: s.start(port), url: "http://127.0.0.1:" + strconv.Itoa(port) + "/api/protected", results: map[string]*result{}}
	var err error
	if r.log, err = os.Create(logPath); err != nil {
		return nil, err
	}
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		r.log.Close()
		return nil, err
	}
	fail := func(err error) (*running, error) {
		r.stop()
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	if err := waitUp(r.url); err != nil {
		return fail(err)
	}
	valid, err := firstLine(files[s.kind+".valid"])
	if err != nil {
		return fail(err)
	}
	forged, err := firstLine(files[s.kind+".garbage"])
	if err != nil {
		return fail(err)
	}
	if code := get(r.url, valid); code != http.StatusOK {
		return fail(fmt.Errorf("a valid token got %d", code))
	}
	if code := get(r.url, forged); code/100 != 4 {
		return fail(fmt.Errorf("a forged token got %d", code))
	}
	fmt.Fprintf(os.Stderr, "== %s (pid %d)\n", s.name, r.cmd.Process.Pid)
	return r, nil
}

func (r *running) stop() {
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM)
	_ = r.cmd.Wait()
	r.log.Close()
}

// measure starts every server, warms each up with the single token and
// then runs the rounds: each round drives every server through every
// scenario in turn, so that a slow patch of time (other processes on the
// machine) is shared out between the servers instead of falling on one.
// Within a round each server starts at another scenario, for the same
// reason. Only the server under load is busy; the others wait idle.
func measure(servers []server, workDir string, scenarios []scenario, files map[string]string, lua string, rounds int, d time.Duration, conns, threads int) (map[string]map[string]*result, map[string]int, error) {
	var live []*running
	defer func() {
		for _, r := range live {
			r.stop()
		}
	}()
	for i, s := range servers {
		logPath := filepath.Join(workDir, strings.NewReplacer(" ", "-", "/", "-", "@", "", ",", "").Replace(s.name)+".log")
		r, err := launch(s, 18100+i, logPath, files)
		if err != nil {
			return nil, nil, err
		}
		live = append(live, r)
	}
	for _, r := range live {
		// Warm up (JIT, pools) with the single token.
		if _, err := wrk(r.url, files[r.kind+".valid"], 1, lua, 2*time.Second, conns, threads); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", r.name, err)
		}
		r.idleKiB = rssKiB(r.cmd.Process.Pid)
	}
	for round := range rounds {
		for _, r := range live {
			for k := range scenarios {
				sc := scenarios[(k+round)%len(scenarios)]
				file := files[r.kind+".valid"]
				if sc.garbage {
					file = files[r.kind+".garbage"]
				}
				before := cpuTicks(r.cmd.Process.Pid)
				w, err := wrk(r.url, file, sc.n, lua, d, conns, threads)
				if err != nil {
					return nil, nil, fmt.Errorf("%s: %w", r.name, err)
				}
				used := cpuTicks(r.cmd.Process.Pid) - before
				res := r.results[sc.name]
				if res == nil {
					res = &result{}
					r.results[sc.name] = res
				}
				res.rps = append(res.rps, w.rps)
				var cpu float64
				if w.requests > 0 {
					cpu = float64(used) * 1e6 / clockTicks / float64(w.requests)
					res.cpu = append(res.cpu, cpu)
				}
				res.rssKiB = rssKiB(r.cmd.Process.Pid)
				if sc.garbage {
					res.non2xx += w.requests - w.non2xx // successes are the errors here
				} else {
					res.non2xx += w.non2xx
				}
				res.wrkErrors = res.wrkErrors || w.socketErrors
				fmt.Fprintf(os.Stderr, "   round %d %-22s %-12s %9.0f req/s %6.1f µs CPU/req  rss %6.1f MiB\n", round+1, r.name, sc.name, w.rps, cpu, float64(res.rssKiB)/1024)
			}
		}
	}
	results, idle := map[string]map[string]*result{}, map[string]int{}
	for _, r := range live {
		results[r.name], idle[r.name] = r.results, r.idleKiB
	}
	return results, idle, nil
}

func waitUp(url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(strings.Split(url, "/api")[0], "http://"), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("server did not start")
}

func firstLine(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	if !sc.Scan() {
		return "", fmt.Errorf("%s is empty", path)
	}
	return sc.Text(), nil
}

func get(url, cookie string) int {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	req.Header.Set("Cookie", cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

type wrkResult struct {
	rps              float64
	requests, non2xx int
	socketErrors     bool
}

var (
	reRPS      = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reRequests = regexp.MustCompile(`(\d+) requests in`)
	reNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

func wrk(url, file string, n int, lua string, d time.Duration, conns, threads int) (wrkResult, error) {
	cmd := exec.Command("wrk", "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns), "-d", d.String(), "-s", lua, url, "--", file, strconv.Itoa(n))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	var r wrkResult
	m := reRPS.FindSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk printed no rate:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	if m := reRequests.FindSubmatch(out); m != nil {
		r.requests, _ = strconv.Atoi(string(m[1]))
	}
	if m := reNon2xx.FindSubmatch(out); m != nil {
		r.non2xx, _ = strconv.Atoi(string(m[1]))
	}
	r.socketErrors = strings.Contains(string(out), "Socket errors")
	return r, nil
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's CPU
// times (100 on Linux).
const clockTicks = 100

// cpuTicks reads the CPU time a process has used, user and system, in
// clock ticks.
func cpuTicks(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The fields after the command's name, which is in parentheses and
	// may hold spaces: utime and stime are the 12th and 13th.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return u + st
}

// rssKiB reads a process's resident set size.
func rssKiB(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func printTable(w io.Writer, servers []server, scenarios []scenario, results map[string]map[string]*result, idle map[string]int, rounds int, d time.Duration, conns, threads int) {
	fmt.Fprintf(w, "Requests per second, GET /api/protected (median of %d rounds of %v, wrk -t%d -c%d, loopback), and the server's CPU time (user and system) per request:\n\n", rounds, d, threads, conns)
	fmt.Fprintf(w, "| server |")
	for _, sc := range scenarios {
		fmt.Fprintf(w, " %s |", sc.name)
	}
	big := scenarios[len(scenarios)-2].name
	fmt.Fprintf(w, " %s / 1 token | CPU/req, 1 token | CPU/req, %s | CPU/req, garbage | RSS idle | RSS after %s | RSS after garbage |\n", big, big, big)
	fmt.Fprintf(w, "|---|%s---:|---:|---:|---:|---:|---:|---:|\n", strings.Repeat("---:|", len(scenarios)))
	var notes []string
	for _, s := range servers {
		res := results[s.name]
		fmt.Fprintf(w, "| %s |", s.name)
		for _, sc := range scenarios {
			r := res[sc.name]
			fmt.Fprintf(w, " %.0f |", median(r.rps))
			if r.non2xx > 0 {
				what := "non-2xx answers to valid tokens"
				if sc.garbage {
					what = "forged tokens accepted"
				}
				notes = append(notes, fmt.Sprintf("%s, %s: %d %s", s.name, sc.name, r.non2xx, what))
			}
			if r.wrkErrors {
				notes = append(notes, fmt.Sprintf("%s, %s: wrk reported socket errors", s.name, sc.name))
			}
		}
		one, many, garbage := res[scenarios[0].name], res[big], res["garbage"]
		fmt.Fprintf(w, " %.2f | %.1f µs | %.1f µs | %.1f µs | %.1f MiB | %.1f MiB | %.1f MiB |\n", median(many.rps)/median(one.rps),
			median(one.cpu), median(many.cpu), median(garbage.cpu),
			float64(idle[s.name])/1024, float64(many.rssKiB)/1024, float64(garbage.rssKiB)/1024)
	}
	ratios(w, results, scenarios, "ginauth v5", servers)
	ratios(w, results, scenarios, bareV5, servers)
	if base, peer := results["ginauth v5 db"], results["@auth/express db"]; base != nil && peer != nil {
		fmt.Fprintf(w, "\nginauth v5 db / @auth/express db (same column):\n\n|")
		for _, sc := range scenarios {
			fmt.Fprintf(w, " %s |", sc.name)
		}
		fmt.Fprintf(w, "\n|%s\n|", strings.Repeat("---:|", len(scenarios)))
		for _, sc := range scenarios {
			fmt.Fprintf(w, " %.2fx |", median(base[sc.name].rps)/median(peer[sc.name].rps))
		}
		fmt.Fprintln(w)
	}
	for _, n := range notes {
		fmt.Fprintln(w, "note:", n)
	}
}

// ratios prints base's rate divided by every other server's, column by
// column.
func ratios(w io.Writer, results map[string]map[string]*result, scenarios []scenario, base string, servers []server) {
	b := results[base]
	if b == nil {
		return
	}
	fmt.Fprintf(w, "\n%s / peer (same column):\n\n| peer |", base)
	for _, sc := range scenarios {
		fmt.Fprintf(w, " %s |", sc.name)
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---:|", len(scenarios)))
	for _, s := range servers {
		if s.name == base || results[s.name] == nil {
			continue
		}
		fmt.Fprintf(w, "| %s |", s.name)
		for _, sc := range scenarios {
			fmt.Fprintf(w, " %.2fx |", median(b[sc.name].rps)/median(results[s.name][sc.name].rps))
		}
		fmt.Fprintln(w)
	}
}
