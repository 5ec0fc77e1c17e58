package config

import "testing"

func TestThrottleSettings(t *testing.T) {
	load := func(env map[string]string) (*Config, error) {
		return Load(nil, func(k string) string { return env[k] })
	}
	c, err := load(nil)
	if err != nil || c.Throttle != (Throttle{PerIP: 30, PerAccount: 10}) {
		t.Fatalf("defaults: %+v %v", c.Throttle, err)
	}
	c, err = load(map[string]string{"AUTH_RATE_LIMIT_IP": "0", "AUTH_RATE_LIMIT_ACCOUNT": "3"})
	if err != nil || c.Throttle != (Throttle{PerIP: 0, PerAccount: 3}) {
		t.Fatalf("set: %+v %v", c.Throttle, err)
	}
	for _, bad := range []map[string]string{{"AUTH_RATE_LIMIT_IP": "-1"}, {"AUTH_RATE_LIMIT_ACCOUNT": "ten"}} {
		if _, err := load(bad); err == nil {
			t.Fatalf("%v was accepted", bad)
		}
	}
}
