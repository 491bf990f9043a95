package redis

import (
	"context"

	goredis "github.com/redis/go-redis/v9"
)

// Exported for the tests of package redis_test.
var (
	NormalizeKey = normalizeKey
	DriverBase   = driverBase
)

// GoKey returns the Redis key the store computes in Go for unstorage key k.
func (s *Store) GoKey(k string) (string, bool) { return s.ks.key("", k) }

// LuaKey returns the Redis key the store's scripts compute for unstorage
// key k.
func (s *Store) LuaKey(ctx context.Context, k string) (string, bool, error) {
	v, err := s.c.Eval(ctx, s.sc.evalKey, []string{"x"}, k).Text()
	if err == goredis.Nil {
		return "", false, nil
	}
	return v, err == nil, err
}
