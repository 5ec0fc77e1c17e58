package files

import (
	"context"

	"fastcms/internal/collections"
	"fastcms/internal/notify"
	"fastcms/internal/storage"
)

// FollowReleases removes the bytes of the files that file fields release
// (collections.Lifecycle): the release deletes the row in the record's
// transaction and announces the key on commit. Every instance hears it
// and deletes; deleting twice is harmless. A key announced while no
// instance listened is left to the orphan sweep.
func (s *Service) FollowReleases(hub *notify.Hub) error {
	_, err := hub.Subscribe(collections.ReleasedChannel, func(key string) {
		if !storage.ValidKey(key) {
			return
		}
		// The row, and with it the backend, is gone: every backend
		// deletes the key, which only one holds.
		for name, st := range s.stores.All {
			if err := st.Delete(context.Background(), key); err != nil {
				s.log.Error("released file's bytes not removed", "key", key, "backend", name, "err", err)
			}
		}
	})
	return err
}
