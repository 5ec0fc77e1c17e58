// Package s3test runs a real S3 server for tests: versitygw (its posix
// backend over a temporary directory), built on first use by
// scripts/ensure-versitygw.sh. Tests that need it skip when it cannot be
// built (no Go module proxy).
package s3test

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"fastcms/internal/config"
)

const (
	accessKey = "fastcms-test"
	secretKey = "fastcms-test-secret"
	bucket    = "fastcms"
)

// Start runs a server with one empty bucket until tb ends and returns the
// configuration that points at it.
func Start(tb testing.TB) config.S3 {
	tb.Helper()
	_, here, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(here), "..", "..", "scripts", "ensure-versitygw.sh")
	out, err := exec.Command("bash", script).Output()
	if err != nil {
		tb.Skipf("versitygw is not available (%s): %v", script, err)
	}
	bin := strings.TrimSpace(string(out))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--access", accessKey, "--secret", secretKey, "--port", addr, "posix", tb.TempDir())
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if tb.Failed() {
			tb.Logf("versitygw output:\n%s", logs.String())
		}
	})
	cfg := config.S3{Bucket: bucket, Region: "us-east-1", Endpoint: "http://" + addr,
		AccessKeyID: accessKey, SecretAccessKey: secretKey, PathStyle: true}
	client := s3.New(s3.Options{Region: cfg.Region, BaseEndpoint: aws.String(cfg.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(accessKey, secretKey, "")})
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)})
		if err == nil {
			return cfg
		}
		if time.Now().After(deadline) {
			tb.Fatalf("versitygw did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
