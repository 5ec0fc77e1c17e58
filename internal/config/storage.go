package config

import (
	"fmt"
	"strconv"
)

// Storage chooses where uploaded files' bytes live: "local" (the disk
// under DATA_DIR/files) or "s3" (a bucket that several instances share).
type Storage struct {
	Backend string
	S3      S3
}

// S3 addresses a bucket of AWS S3 or an S3-compatible service.
type S3 struct {
	Bucket, Region, Endpoint string
	AccessKeyID              string
	SecretAccessKey          string
	PathStyle                bool
}

func loadStorage(env func(key, def string) string) (Storage, error) {
	s := Storage{Backend: env("STORAGE_BACKEND", "local")}
	switch s.Backend {
	case "local":
		return s, nil
	case "s3":
	default:
		return s, fmt.Errorf("STORAGE_BACKEND must be local or s3")
	}
	s.S3 = S3{Bucket: env("S3_BUCKET", ""), Region: env("S3_REGION", "us-east-1"), Endpoint: env("S3_ENDPOINT", ""),
		AccessKeyID: env("S3_ACCESS_KEY_ID", ""), SecretAccessKey: env("S3_SECRET_ACCESS_KEY", "")}
	if s.S3.Bucket == "" || s.S3.AccessKeyID == "" || s.S3.SecretAccessKey == "" {
		return s, fmt.Errorf("STORAGE_BACKEND=s3 needs S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY")
	}
	pathStyle := "false"
	if s.S3.Endpoint != "" {
		pathStyle = "true"
	}
	var err error
	if s.S3.PathStyle, err = strconv.ParseBool(env("S3_PATH_STYLE", pathStyle)); err != nil {
		return s, fmt.Errorf("S3_PATH_STYLE must be true or false")
	}
	return s, nil
}
