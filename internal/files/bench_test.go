package files_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
	"fastcms/internal/s3test"
)

// BenchmarkFile100MiB uploads and downloads a 100 MiB file through the
// real server, on each backend, streamed from and to the client without
// holding it, and reports MiB/s each way and the process's peak RSS
// (client and server together; VmHWM, so run one backend per process:
// -bench File100MiB/disk), which stays flat if nothing buffers the file.
func BenchmarkFile100MiB(b *testing.B) {
	b.Run("disk", func(b *testing.B) { benchFile(b, config.Storage{Backend: "local"}) })
	b.Run("s3", func(b *testing.B) { benchFile(b, config.Storage{Backend: "s3", S3: s3test.Start(b)}) })
}

func benchFile(b *testing.B, store config.Storage) {
	const size = 100 << 20
	s := apptest.Start(b, func(c *config.Config, _ *app.Options) { c.MaxImportBytes, c.Storage = 256<<20, store })
	root := admin(b, s)
	if r := s.Do(b, http.MethodPost, "/api/v1/settings", map[string]any{"key": "max_file_size", "value": 200 << 20}, root.Access); r.Status != http.StatusOK {
		b.Fatalf("set max_file_size: %d %s", r.Status, r.Body)
	}
	b.Cleanup(func() { s.Do(b, http.MethodDelete, "/api/v1/settings/max_file_size", nil, root.Access) })
	block := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range block {
		block[i] = byte(rng.UintN(256))
	}
	var up, down time.Duration
	for b.Loop() {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			fw, err := mw.CreateFormFile("file", "big.bin")
			for i := 0; err == nil && i < size/len(block); i++ {
				_, err = fw.Write(block)
			}
			if err == nil {
				err = mw.Close()
			}
			pw.CloseWithError(err)
		}()
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, s.URL+"/api/v1/files", pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+root.Access)
		start := time.Now()
		resp, err := s.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		up += time.Since(start)
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("upload: %d %s", resp.StatusCode, body)
		}
		id := bytes.SplitN(bytes.SplitN(body, []byte(`"id":"`), 2)[1], []byte(`"`), 2)[0]

		req, _ = http.NewRequestWithContext(context.Background(), http.MethodGet, s.URL+"/api/v1/files/"+string(id)+"/download", nil)
		req.Header.Set("Authorization", "Bearer "+root.Access)
		start = time.Now()
		resp, err = s.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		down += time.Since(start)
		if err != nil || n != size {
			b.Fatalf("download: %d bytes, %v", n, err)
		}
		s.Do(b, http.MethodDelete, "/api/v1/files/"+string(id), nil, root.Access)
	}
	mib := float64(size>>20) * float64(b.N)
	b.ReportMetric(mib/up.Seconds(), "upload-MiB/s")
	b.ReportMetric(mib/down.Seconds(), "download-MiB/s")
	b.ReportMetric(peakRSSMiB(b), "peak-RSS-MiB")
}

// peakRSSMiB is the process's VmHWM.
func peakRSSMiB(b *testing.B) float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc: ", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	panic(fmt.Sprintf("no VmHWM in %s", status))
}
