package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"fastcms/dbmodel"
	"fastcms/graph/model"
	"fastcms/internal/apierr"
	"fastcms/internal/files"
	"fastcms/internal/page"
)

func toFile(f *dbmodel.File) *model.File {
	return &model.File{ID: f.ID, Filename: f.Filename, OriginalFilename: f.OriginalFilename, MimeType: f.MimeType,
		Size: int(f.Size), CollectionName: f.CollectionName, RecordID: f.RecordID, FieldName: f.FieldName, UserID: f.UserID,
		Created: f.Created, Updated: f.Updated, URL: "/api/v1/files/" + f.ID + "/download"}
}

// listFiles is the files query; here because the generated signature
// names an argument "page", which hides the package.
func (r *Resolver) listFiles(ctx context.Context, pageNum, perPage *int, skipTotal *bool, collectionName, recordID *string) (*model.FilePage, error) {
	req, err := page.New(pageNum, perPage, skipTotal != nil && *skipTotal)
	if err != nil {
		return nil, err
	}
	in := files.ListParams{Page: req}
	if collectionName != nil {
		in.CollectionName = *collectionName
	}
	if recordID != nil {
		in.RecordID = *recordID
	}
	res, err := r.Services.Files.List(ctx, in)
	if err != nil {
		return nil, err
	}
	items := make([]*model.File, len(res.Items))
	for i := range res.Items {
		items[i] = toFile(&res.Items[i])
	}
	return &model.FilePage{Items: items, Total: res.Total, Page: res.Page, PerPage: res.PerPage, TotalPages: res.TotalPages}, nil
}

// getFile is the file query: null for a file the caller may not see.
func (r *Resolver) getFile(ctx context.Context, id string) (*model.File, error) {
	f, err := r.Services.Files.Get(ctx, id)
	if apierr.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return toFile(f), nil
}

// uploadFile stores a GraphQL multipart upload. The transport has already
// read the request (into memory or a temporary file), so max_file_size is
// checked as the copy to storage streams.
func (r *Resolver) uploadFile(ctx context.Context, up graphql.Upload, collectionName, recordID, fieldName *string) (*model.File, error) {
	f, err := r.Services.Files.Upload(ctx, files.Upload{Filename: up.Filename, Body: up.File,
		Meta: files.Meta{CollectionName: collectionName, RecordID: recordID, FieldName: fieldName}})
	if err != nil {
		return nil, err
	}
	return toFile(f), nil
}
