package memory_test

import (
	"testing"

	"github.com/ginauth/ginauth/adapters/adaptertest"
	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/authjs"
)

func TestConformance(t *testing.T) {
	adaptertest.Run(t, func(*testing.T) authjs.Adapter { return memory.New() })
}
