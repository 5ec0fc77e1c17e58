package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3Config addresses a bucket of an S3-compatible service.
type S3Config struct {
	Bucket string
	Region string
	// Endpoint is the service's URL (MinIO, R2, versitygw); empty is AWS.
	Endpoint string
	// AccessKey and SecretKey sign requests.
	AccessKey, SecretKey string
	// PathStyle addresses the bucket in the path (endpoint/bucket/key),
	// as most self-hosted services need, not in the host name.
	PathStyle bool
}

// partSize is the size of each part of a multipart upload: the one
// buffer an upload holds. S3 allows 10,000 parts, so objects of up to
// about 78 GiB.
const partSize = 8 << 20

// S3 stores blobs as objects of one bucket, named by key. Every instance
// pointed at the bucket sees the same blobs.
type S3 struct {
	client *s3.Client
	bucket string
}

// NewS3 makes a client for cfg; it does not contact the service.
func NewS3(cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("storage: S3 needs a bucket")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	opts := s3.Options{
		Region:       cfg.Region,
		UsePathStyle: cfg.PathStyle,
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
		// Checksums only where the service requires them: S3-compatible
		// services differ in the newer checksum headers.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	return &S3{client: s3.New(opts), bucket: cfg.Bucket}, nil
}

// Put sends a blob that fits one part in one request, a larger one as a
// multipart upload, one part in memory at a time; a failure aborts the
// multipart upload, so nothing is left under key.
func (c *S3) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if !ValidKey(key) {
		return 0, ErrBadKey
	}
	buf := make([]byte, partSize)
	n, err := io.ReadFull(r, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return 0, err
	}
	if n < partSize {
		_, err := c.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &c.bucket, Key: &key,
			Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(int64(n))})
		return int64(n), err
	}
	up, err := c.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &c.bucket, Key: &key})
	if err != nil {
		return 0, err
	}
	total, err := c.putParts(ctx, key, up.UploadId, r, buf)
	if err != nil {
		c.client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: &c.bucket, Key: &key, UploadId: up.UploadId})
		return total, err
	}
	return total, nil
}

// putParts uploads buf (full) and the rest of r as parts, then completes
// the upload.
func (c *S3) putParts(ctx context.Context, key string, id *string, r io.Reader, buf []byte) (int64, error) {
	var parts []types.CompletedPart
	var total int64
	n := len(buf)
	for num := int32(1); n > 0; num++ {
		out, err := c.client.UploadPart(ctx, &s3.UploadPartInput{Bucket: &c.bucket, Key: &key, UploadId: id,
			PartNumber: aws.Int32(num), Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(int64(n))})
		if err != nil {
			return total, err
		}
		total += int64(n)
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
		var rerr error
		n, rerr = io.ReadFull(r, buf)
		if rerr != nil && !errors.Is(rerr, io.EOF) && !errors.Is(rerr, io.ErrUnexpectedEOF) {
			return total, rerr
		}
	}
	_, err := c.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &c.bucket, Key: &key,
		UploadId: id, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	return total, err
}

// Open asks for the byte range; a missing object is ErrNotFound here.
func (c *S3) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if !ValidKey(key) {
		return nil, ErrBadKey
	}
	in := &s3.GetObjectInput{Bucket: &c.bucket, Key: &key}
	switch {
	case length == 0:
		return io.NopCloser(bytes.NewReader(nil)), nil
	case length > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	case offset > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", offset))
	}
	out, err := c.client.GetObject(ctx, in)
	if err != nil {
		return nil, notFoundErr(err)
	}
	return out.Body, nil
}

// Stat reports the object's size.
func (c *S3) Stat(ctx context.Context, key string) (Info, error) {
	if !ValidKey(key) {
		return Info{}, ErrBadKey
	}
	out, err := c.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &c.bucket, Key: &key})
	if err != nil {
		return Info{}, notFoundErr(err)
	}
	return Info{Key: key, Size: aws.ToInt64(out.ContentLength), Modified: aws.ToTime(out.LastModified)}, nil
}

// Delete removes the object; S3 answers success for a missing one.
func (c *S3) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return ErrBadKey
	}
	_, err := c.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &c.bucket, Key: &key})
	return err
}

// List pages through the bucket. Objects whose names are not keys are
// not ours and are skipped; unfinished multipart uploads are not objects
// (AbortStale removes them).
func (c *S3) List(ctx context.Context, fn func(Info) error) error {
	p := s3.NewListObjectsV2Paginator(c.client, &s3.ListObjectsV2Input{Bucket: &c.bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if !ValidKey(key) {
				continue
			}
			if err := fn(Info{Key: key, Size: aws.ToInt64(o.Size), Modified: aws.ToTime(o.LastModified)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// AbortStale aborts the multipart uploads of keys started before cutoff:
// the parts of a Put whose server died before it could complete or
// abort the upload, which S3 keeps (and bills) until aborted.
func (c *S3) AbortStale(ctx context.Context, cutoff time.Time) (int, error) {
	aborted := 0
	in := &s3.ListMultipartUploadsInput{Bucket: &c.bucket}
	for {
		page, err := c.client.ListMultipartUploads(ctx, in)
		if err != nil {
			return aborted, err
		}
		for _, u := range page.Uploads {
			if !ValidKey(aws.ToString(u.Key)) || !aws.ToTime(u.Initiated).Before(cutoff) {
				continue
			}
			_, err := c.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &c.bucket, Key: u.Key, UploadId: u.UploadId})
			if err != nil && !isNoSuchUpload(err) {
				return aborted, err
			}
			aborted++
		}
		if !aws.ToBool(page.IsTruncated) {
			return aborted, nil
		}
		in.KeyMarker, in.UploadIdMarker = page.NextKeyMarker, page.NextUploadIdMarker
	}
}

// isNoSuchUpload: another instance aborted or completed it first.
func isNoSuchUpload(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "NoSuchUpload"
}

// notFoundErr maps S3's missing-object answers to ErrNotFound.
func notFoundErr(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return ErrNotFound
		}
	}
	return err
}
