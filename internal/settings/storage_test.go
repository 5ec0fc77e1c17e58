package settings_test

import "fastcms/internal/settings"

// withStorageBackend adds to a storage listing the storage backend's keys
// at their defaults (internal/files reads them at start).
func withStorageBackend(m map[string]any) map[string]any {
	for _, k := range []string{settings.KeyStorageBackend, settings.KeyS3Bucket, settings.KeyS3Region, settings.KeyS3Endpoint,
		settings.KeyS3PathStyle, settings.KeyS3AccessKey, settings.KeyS3SecretKey} {
		d, _ := settings.Lookup(k)
		v := d.Default
		if d.Secret {
			v = nil
		}
		m[k] = entry(v, d.Description, "default", d.Secret)
	}
	return m
}
