package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"fastcms/internal/s3test"
)

// errCrash fails a Put mid-upload. Put then aborts its own upload; the
// uploads of a server that died are started directly instead.
var errCrash = errors.New("crash")

// Unfinished multipart uploads (a server that died mid-Put) are aborted
// by AbortStale once older than its cutoff; younger ones, finished
// objects and uploads of names that are not keys are left alone.
func TestS3AbortStale(t *testing.T) {
	conf := s3test.Start(t)
	c, err := NewS3(S3Config{Bucket: conf.Bucket, Region: conf.Region, Endpoint: conf.Endpoint,
		AccessKey: conf.AccessKeyID, SecretKey: conf.SecretAccessKey, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := func(key string) {
		t.Helper()
		up, err := c.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &c.bucket, Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.client.UploadPart(ctx, &s3.UploadPartInput{Bucket: &c.bucket, Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part one")), ContentLength: aws.Int64(8)}); err != nil {
			t.Fatal(err)
		}
	}
	uploads := func() []string {
		t.Helper()
		out, err := c.client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &c.bucket})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, u := range out.Uploads {
			keys = append(keys, aws.ToString(u.Key))
		}
		return keys
	}
	start("crashed-1")
	start("crashed-2")
	start("not ours/x")
	if _, err := c.Put(ctx, "kept", bytes.NewReader([]byte("whole"))); err != nil {
		t.Fatal(err)
	}
	if n, err := c.AbortStale(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("young uploads: aborted %d, %v", n, err)
	}
	if got := uploads(); len(got) != 3 {
		t.Fatalf("uploads before the sweep: %v", got)
	}
	// Initiated times have a second's resolution on some servers.
	if n, err := c.AbortStale(ctx, time.Now().Add(2*time.Second)); err != nil || n != 2 {
		t.Fatalf("stale uploads: aborted %d, %v", n, err)
	}
	if got := uploads(); len(got) != 1 || got[0] != "not ours/x" {
		t.Fatalf("uploads after the sweep: %v", got)
	}
	if _, err := c.Stat(ctx, "kept"); err != nil {
		t.Fatalf("finished object: %v", err)
	}
	// A Put that fails mid-way aborts its own upload.
	_, err = c.Put(ctx, "failed", io.MultiReader(bytes.NewReader(make([]byte, partSize+1)), errReader{}))
	if !errors.Is(err, errCrash) {
		t.Fatalf("failed put: %v", err)
	}
	if got := uploads(); len(got) != 1 {
		t.Fatalf("uploads after a failed put: %v", got)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errCrash }
