package files

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/gif" // registers the GIF decoder for image.Decode
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"strconv"
	"strings"

	"fastcms/dbmodel"
	"fastcms/internal/apierr"
	"fastcms/internal/storage"
)

// Thumbnail limits: the largest side asked for, and the most pixels an
// image may declare before it is decoded (a decompression bomb declares
// billions in a few bytes).
const (
	MaxThumbSide   = 2048
	MaxThumbPixels = 16_000_000
)

// thumbTypes are the types the standard library decodes.
var thumbTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true}

// Thumb is a rendered thumbnail.
type Thumb struct {
	Body     io.ReadCloser
	Size     int64
	MimeType string
	// ETag names the original's content and the size asked for.
	ETag string
}

// ParseThumbSize reads "WxH" (each 1 to MaxThumbSide).
func ParseThumbSize(s string) (w, h int, err error) {
	ws, hs, ok := strings.Cut(s, "x")
	w, werr := strconv.Atoi(ws)
	h, herr := strconv.Atoi(hs)
	if !ok || werr != nil || herr != nil || w < 1 || h < 1 || w > MaxThumbSide || h > MaxThumbSide {
		return 0, 0, apierr.InvalidField("thumb", fmt.Sprintf("must be WxH, each 1 to %d (e.g. 100x100)", MaxThumbSide))
	}
	return w, h, nil
}

// thumbKey is where the thumbnail of id at w×h is cached in storage.
func thumbKey(id string, w, h int) string { return fmt.Sprintf("%s_thumb_%dx%d", id, w, h) }

// baseID is the file id a storage key belongs to: itself, or the file a
// cached thumbnail was made from.
func baseID(key string) string {
	id, _, _ := strings.Cut(key, "_thumb_")
	return id
}

// Thumbnail returns f (from Get) scaled to fit within w×h, keeping its
// aspect ratio and never enlarged, made on first request and then served
// from storage. Only PNG, JPEG and GIF (first frame) have thumbnails.
func (s *Service) Thumbnail(ctx context.Context, f *dbmodel.File, w, h int) (*Thumb, error) {
	mt := mediaType(f.MimeType)
	if !thumbTypes[mt] {
		return nil, apierr.InvalidField("thumb", "thumbnails are made of PNG, JPEG and GIF images; this file is "+mt)
	}
	if mt == "image/gif" {
		mt = "image/png"
	}
	t := &Thumb{MimeType: mt, ETag: fmt.Sprintf(`"%s-%dx%d"`, f.SHA256, w, h)}
	key := thumbKey(f.ID, w, h)
	st, err := s.storeOf(f)
	if err != nil {
		return nil, err
	}
	if info, err := st.Stat(ctx, key); err == nil {
		rc, err := st.Open(ctx, key, 0, -1)
		if err == nil {
			t.Body, t.Size = rc, info.Size
			return t, nil
		}
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	out, err := s.render(ctx, f, w, h, mt)
	if err != nil {
		return nil, err
	}
	if _, err := st.Put(ctx, key, bytes.NewReader(out)); err != nil {
		s.log.WarnContext(ctx, "thumbnail not cached", "file_id", f.ID, "err", err)
	}
	t.Body, t.Size = io.NopCloser(bytes.NewReader(out)), int64(len(out))
	return t, nil
}

// render decodes the original, after checking its declared size, and
// encodes the scaled image as mt.
func (s *Service) render(ctx context.Context, f *dbmodel.File, w, h int, mt string) ([]byte, error) {
	rc, err := s.Open(ctx, f, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var head bytes.Buffer
	cfg, _, err := image.DecodeConfig(io.TeeReader(rc, &head))
	if err != nil {
		return nil, apierr.InvalidField("thumb", "the image cannot be decoded: "+err.Error())
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxThumbPixels {
		return nil, apierr.New(http.StatusUnprocessableEntity, "image too large",
			"the image is %dx%d, more than the %d pixels thumbnails are made of", cfg.Width, cfg.Height, MaxThumbPixels)
	}
	src, _, err := image.Decode(io.MultiReader(&head, rc))
	if err != nil {
		return nil, apierr.InvalidField("thumb", "the image cannot be decoded: "+err.Error())
	}
	dst := scale(src, w, h)
	var out bytes.Buffer
	if mt == "image/jpeg" {
		err = jpeg.Encode(&out, dst, &jpeg.Options{Quality: 85})
	} else {
		err = png.Encode(&out, dst)
	}
	return out.Bytes(), err
}

// scale fits src within w×h, keeping its aspect ratio and never
// enlarging it, each target pixel the mean of the source pixels it
// covers (a box filter: no aliasing when shrinking a lot).
func scale(src image.Image, w, h int) image.Image {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if sw == 0 || sh == 0 {
		return src
	}
	if sw*h > sh*w { // wider than the box: width decides
		h = max(1, sh*w/sw)
	} else {
		w = max(1, sw*h/sh)
	}
	if w >= sw || h >= sh {
		w, h = sw, sh
	}
	rgba := image.NewRGBA(b)
	draw.Draw(rgba, b, src, b.Min, draw.Src)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		y0, y1 := y*sh/h, max((y+1)*sh/h, y*sh/h+1)
		for x := 0; x < w; x++ {
			x0, x1 := x*sw/w, max((x+1)*sw/w, x*sw/w+1)
			var r, g, bl, a, n uint32
			for sy := y0; sy < y1; sy++ {
				row := rgba.Pix[sy*rgba.Stride:]
				for sx := x0; sx < x1; sx++ {
					p := row[sx*4 : sx*4+4]
					r, g, bl, a, n = r+uint32(p[0]), g+uint32(p[1]), bl+uint32(p[2]), a+uint32(p[3]), n+1
				}
			}
			i := y*dst.Stride + x*4
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = uint8(r/n), uint8(g/n), uint8(bl/n), uint8(a/n)
		}
	}
	return dst
}
