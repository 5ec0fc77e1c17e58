package query

import "time"

// Test schema: posts -> author (relation to authors), editors (multi
// relation to authors); authors -> publisher (relation to pubs).
var (
	pubs = MapFields{
		"id":   {Name: "id", Column: "id", Kind: KindUUID},
		"name": {Name: "name", Column: "name", Kind: KindText},
	}
	authors = MapFields{
		"id":        {Name: "id", Column: "id", Kind: KindUUID},
		"name":      {Name: "name", Column: "name", Kind: KindText},
		"age":       {Name: "age", Column: "age", Kind: KindNumber},
		"nick":      {Name: "nick", Column: "nick", Kind: KindMulti},
		"publisher": {Name: "publisher", Column: "publisher", Kind: KindRelation, Target: pubs, TargetTable: `"data"."pubs"`},
	}
	posts = MapFields{
		"id":        {Name: "id", Column: "id", Kind: KindUUID},
		"title":     {Name: "title", Column: "title", Kind: KindText},
		"status":    {Name: "status", Column: "status", Kind: KindText},
		"views":     {Name: "views", Column: "views", Kind: KindNumber},
		"published": {Name: "published", Column: "published", Kind: KindBool},
		"day":       {Name: "day", Column: "day", Kind: KindDate},
		"created":   {Name: "created", Column: "created", Kind: KindDateTime},
		"meta":      {Name: "meta", Column: "meta", Kind: KindJSON},
		"tags":      {Name: "tags", Column: "tags", Kind: KindMulti},
		"author":    {Name: "author", Column: "author", Kind: KindRelation, Target: authors, TargetTable: `"data"."authors"`},
		"editors":   {Name: "editors", Column: "editor_ids", Kind: KindMulti, Target: authors, TargetTable: `"data"."authors"`},
		"odd":       {Name: "odd", Column: `we"ird`, Kind: KindText},
	}
)

var testNow = time.Date(2024, 2, 29, 15, 4, 5, 123456789, time.UTC)

const uuid1 = "0b7b9e2c-1f3e-4a5b-8c6d-7e8f9a0b1c2d"
