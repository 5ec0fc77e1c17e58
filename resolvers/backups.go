package resolvers

import (
	"context"

	"fastcms/graph/model"
	"fastcms/internal/backups"
	"fastcms/internal/page"
)

func toBackup(b *backups.Backup) *model.Backup {
	p := b.Progress
	return &model.Backup{ID: b.ID, Filename: b.Filename, SizeBytes: int(b.SizeBytes), Status: b.Status, Error: b.Error,
		Created: b.Created, Completed: b.Completed, Progress: &model.BackupJobProgress{TablesDone: p.TablesDone,
			TablesTotal: p.TablesTotal, FilesDone: p.FilesDone, FilesTotal: p.FilesTotal, Bytes: int(p.Bytes)}}
}

// listBackups lives here because the generated signature names an
// argument "page", which hides the package.
func (r *Resolver) listBackups(ctx context.Context, pageNum, perPage *int, skipTotal *bool) (*model.BackupPage, error) {
	req, err := page.New(pageNum, perPage, skipTotal != nil && *skipTotal)
	if err != nil {
		return nil, err
	}
	res, err := r.Services.Backups.List(ctx, req)
	if err != nil {
		return nil, err
	}
	items := make([]*model.Backup, len(res.Items))
	for i := range res.Items {
		items[i] = toBackup(&res.Items[i])
	}
	return &model.BackupPage{Items: items, Total: res.Total, Page: res.Page, PerPage: res.PerPage, TotalPages: res.TotalPages}, nil
}

func (r *Resolver) restoreBackup(ctx context.Context, id string) (*model.BackupRestore, error) {
	m, err := r.Services.Backups.Restore(ctx, id)
	if err != nil {
		return nil, err
	}
	res := &model.BackupRestore{Status: "restored", ID: id, FormatVersion: m.FormatVersion, ServerVersion: m.ServerVersion,
		Collections: m.Collections}
	for _, p := range m.Parts {
		res.Rows += int(p.Rows)
	}
	return res, nil
}
