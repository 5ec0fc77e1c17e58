package records

import (
	"bytes"
	"errors"
	"io"
	"os"
)

// spoolMemory is how much of an upload spool keeps in memory; the rest
// goes to a temporary file.
const spoolMemory = 1 << 20

// spool reads r to its end and returns a reader over what it read; Close
// removes the temporary file, if any. An import reads its whole file this
// way before it takes a database connection, so a client that sends
// slowly holds only its own request. The size is bounded by the caller
// (the body limit of imports, MAX_IMPORT_BYTES).
func spool(r io.Reader) (io.ReadCloser, error) {
	var head bytes.Buffer
	if _, err := io.CopyN(&head, r, spoolMemory+1); errors.Is(err, io.EOF) {
		return io.NopCloser(&head), nil
	} else if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp("", "fastcms-import-*.csv")
	if err != nil {
		return nil, err
	}
	tmp := tempFile{f}
	_, err = head.WriteTo(f)
	if err == nil {
		_, err = io.Copy(f, r)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		tmp.Close()
		return nil, err
	}
	return tmp, nil
}

// tempFile is a temporary file that Close removes.
type tempFile struct{ *os.File }

func (t tempFile) Close() error {
	err := t.File.Close()
	if rmErr := os.Remove(t.Name()); err == nil {
		err = rmErr
	}
	return err
}
