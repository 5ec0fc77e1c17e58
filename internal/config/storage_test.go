package config

import "testing"

func TestStorageSettings(t *testing.T) {
	load := func(env map[string]string) (*Config, error) {
		return Load(nil, func(k string) string { return env[k] })
	}
	c, err := load(nil)
	if err != nil || c.Storage != (Storage{Backend: "local"}) {
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
