// Package authjs holds the nouns ginauth shares with Auth.js: the user, the
// provider account, the token's claims, the session as clients see it, and
// the callbacks and events an application plugs into sign-in, with the
// parameters they receive.
//
// These types live in a package of their own, below every other package of
// the module, because each layer needs them: providers return a User,
// the endpoints run the Callbacks, and the root package hands a Session to
// the application. The root package ginauth imports providers and handlers
// to assemble an Auth, so it cannot also be the package they import; a leaf
// that imports nothing of the module keeps the import graph a DAG, and every
// field stays documented here, where go doc finds it.
//
// The field names and JSON shapes follow Auth.js (@auth/core's User,
// Account, JWT and Session), so that a Go service and a JavaScript one
// sharing a secret see the same values.
package authjs
