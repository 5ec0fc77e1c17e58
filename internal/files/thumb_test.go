package files_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"

	"fastcms/internal/apptest"
	"fastcms/internal/files"
	"fastcms/internal/storage"
)

// halves is a w×h image, red on the left half and blue on the right.
func halves(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{255, 0, 0, 255}
			if x >= w/2 {
				c = color.RGBA{0, 0, 255, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

// bombPNG is a PNG header declaring w×h pixels, with no pixel data.
func bombPNG(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	copy(ihdr[8:], []byte{8, 2, 0, 0, 0})
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// ?thumb=WxH scales PNG, JPEG and GIF images to fit, keeping the aspect
// ratio and never enlarging; caches the result in storage (swept with the
// file); refuses other files, bad sizes and images declaring too many
// pixels.
func TestThumbnails(t *testing.T) {
	s := apptest.Start(t)
	u, other := newUser(t, s), newUser(t, s)
	var pngBuf, jpgBuf, gifBuf bytes.Buffer
	png.Encode(&pngBuf, halves(400, 200))
	jpeg.Encode(&jpgBuf, halves(400, 200), &jpeg.Options{Quality: 95})
	gif.Encode(&gifBuf, halves(400, 200), nil)
	pid := uploaded(t, s, u.Access, "wide.png", pngBuf.Bytes())
	jid := uploaded(t, s, u.Access, "wide.jpg", jpgBuf.Bytes())
	gid := uploaded(t, s, u.Access, "wide.gif", gifBuf.Bytes())

	thumb := func(id, spec, wantType string, w, h int) *apptest.Response {
		t.Helper()
		r := send(t, s, http.MethodGet, "/api/v1/files/"+id+"/download?thumb="+spec, nil, u.Access)
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != wantType {
			t.Fatalf("thumb %s: %d %s %s", spec, r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		img, _, err := image.Decode(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
			t.Fatalf("thumb %s is %dx%d, want %dx%d", spec, b.Dx(), b.Dy(), w, h)
		}
		left, right := color.RGBAModel.Convert(img.At(w/4, h/2)).(color.RGBA), color.RGBAModel.Convert(img.At(3*w/4, h/2)).(color.RGBA)
		if left.R < 200 || left.B > 50 || right.B < 200 || right.R > 50 {
			t.Fatalf("thumb %s: left %v, right %v", spec, left, right)
		}
		return r
	}
	r := thumb(pid, "100x100", "image/png", 100, 50)
	etag := `"` + sum(pngBuf.Bytes()) + `-100x100"`
	if r.Header.Get("ETag") != etag || r.Header.Get("Content-Length") != strconv.Itoa(len(r.Body)) {
		t.Fatalf("ETag %s Content-Length %s", r.Header.Get("ETag"), r.Header.Get("Content-Length"))
	}
	if _, ok := stored(t, s)[filepath.Join(pid[:2], pid+"_thumb_100x100")]; !ok {
		t.Fatal("thumbnail not cached in storage")
	}
	again := thumb(pid, "100x100", "image/png", 100, 50) // from the cache
	if !bytes.Equal(again.Body, r.Body) {
		t.Fatal("cached thumbnail differs")
	}
	if r := send(t, s, http.MethodGet, "/api/v1/files/"+pid+"/download?thumb=100x100", nil, u.Access, "If-None-Match", etag); r.Status != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", r.Status)
	}
	thumb(pid, "50x200", "image/png", 50, 25)
	thumb(pid, "1000x1000", "image/png", 400, 200) // never enlarged
	thumb(jid, "40x40", "image/jpeg", 40, 20)
	thumb(gid, "40x40", "image/png", 40, 20) // a GIF's first frame, as PNG

	bad := `must be WxH, each 1 to 2048 (e.g. 100x100)`
	for _, spec := range []string{"abc", "0x10", "10x", "3000x10", "-1x5"} {
		apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/files/"+pid+"/download?thumb="+spec, nil, u.Access),
			http.StatusUnprocessableEntity, "validation failed", "thumb: "+bad, map[string]string{"thumb": bad})
	}
	txt := uploaded(t, s, u.Access, "a.txt", []byte("text"))
	why := "thumbnails are made of PNG, JPEG and GIF images; this file is text/plain"
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/files/"+txt+"/download?thumb=10x10", nil, u.Access),
		http.StatusUnprocessableEntity, "validation failed", "thumb: "+why, map[string]string{"thumb": why})
	bomb := uploaded(t, s, u.Access, "bomb.png", bombPNG(50000, 50000))
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/files/"+bomb+"/download?thumb=10x10", nil, u.Access),
		http.StatusUnprocessableEntity, "image too large", "the image is 50000x50000, more than the 16000000 pixels thumbnails are made of", nil)
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/files/"+pid+"/download?thumb=10x10", nil, other.Access),
		http.StatusNotFound, "not found", "file not found", nil)

	// A deleted file's thumbnails go at the next sweep.
	if r := s.Do(t, http.MethodDelete, "/api/v1/files/"+pid, nil, u.Access); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d", r.Status)
	}
	disk, _ := storage.NewDisk(filepath.Join(s.Config.DataDir, "files"))
	svc := files.New(s.DB(t), files.Stores{Current: "local", All: map[string]storage.Store{"local": disk}}, func() files.Policy { return files.Policy{MaxSize: 1} }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if n, err := svc.Sweep(t.Context(), 0); err != nil || n != 3 {
		t.Fatalf("Sweep: %d, %v; want the 3 thumbnails", n, err)
	}
	for k := range stored(t, s) {
		if filepath.Base(k)[:36] == pid {
			t.Fatalf("%s left after the sweep", k)
		}
	}
	if _, ok := stored(t, s)[filepath.Join(jid[:2], jid+"_thumb_40x40")]; !ok {
		t.Fatal("a live file's thumbnail was swept")
	}
}
