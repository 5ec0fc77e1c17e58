package config

import "testing"

func TestStorageSettings(t *testing.T) {
	load := func(env map[string]string) (*Config, error) {
		return Load(nil, func(k string) string { return env[k] })
	}
	c, err := load(nil)
	if err != nil || c.Storage.Backend != "local" || c.Storage.S3 != (S3{}) {
		t.Fatalf("defaults: %+v %v", c.Storage, err)
	}
	s3 := map[string]string{"STORAGE_BACKEND": "s3", "S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s"}
	c, err = load(s3)
	if err != nil || c.Storage.S3 != (S3{Bucket: "b", Region: "us-east-1", AccessKeyID: "k", SecretAccessKey: "s"}) {
		t.Fatalf("AWS: %+v %v", c.Storage, err)
	}
	s3["S3_ENDPOINT"], s3["S3_REGION"] = "http://minio:9000", "auto"
	c, err = load(s3)
	if err != nil || c.Storage.S3 != (S3{Bucket: "b", Region: "auto", Endpoint: "http://minio:9000", AccessKeyID: "k", SecretAccessKey: "s", PathStyle: true}) {
		t.Fatalf("endpoint: %+v %v", c.Storage, err)
	}
	for _, bad := range []map[string]string{
		{"STORAGE_BACKEND": "ftp"},
		{"STORAGE_BACKEND": "s3", "S3_BUCKET": "b"},
		{"STORAGE_BACKEND": "s3", "S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s", "S3_PATH_STYLE": "maybe"},
	} {
		if _, err := load(bad); err == nil {
			t.Fatalf("%v was accepted", bad)
		}
	}
}

// Settings choose the backend where the environment says nothing; an
// explicit variable wins over its setting.
func TestStorageWithSettings(t *testing.T) {
	load := func(env map[string]string) Storage {
		c, err := Load(nil, func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		return c.Storage
	}
	stored := map[string]string{"STORAGE_BACKEND": "s3", "S3_BUCKET": "from-settings", "S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s",
		"S3_ENDPOINT": "http://versitygw:7070"}
	get := func(v string) (string, bool) { x, ok := stored[v]; return x, ok }

	s, err := load(nil).WithSettings(get)
	if err != nil || s.Backend != "s3" || s.S3 != (S3{Bucket: "from-settings", Region: "us-east-1", Endpoint: "http://versitygw:7070",
		AccessKeyID: "k", SecretAccessKey: "s", PathStyle: true}) {
		t.Fatalf("from settings: %+v %v", s, err)
	}
	s, err = load(map[string]string{"STORAGE_BACKEND": "local", "S3_BUCKET": "from-env"}).WithSettings(get)
	if err != nil || s.Backend != "local" || s.S3.Bucket != "from-env" || s.S3.Endpoint != "http://versitygw:7070" {
		t.Fatalf("environment wins: %+v %v", s, err)
	}
	stored["S3_SECRET_ACCESS_KEY"] = ""
	if s, err = load(nil).WithSettings(get); err == nil {
		t.Fatalf("s3 without its secret key was accepted: %+v", s)
	}
	direct := Storage{Backend: "s3", S3: S3{Bucket: "b"}}
	if s, err = direct.WithSettings(get); err != nil || s.Backend != "s3" || s.S3.Bucket != "b" {
		t.Fatalf("a Storage not from Load changed: %+v %v", s, err)
	}
}
