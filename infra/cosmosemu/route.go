package cosmosemu

import (
	"net/http"
	"strings"

	"orderctx/infra/cosmosemu/store"
)

// route hands a request to the handler of the resource its path names.
//
//	/                                   account.go
//	/offers[/<rid>]                     offers.go
//	/_emulator/<action>                 admin.go
//	/dbs[/<db>]                         databases.go
//	/dbs/<db>/colls[/<coll>]            containers.go
//	/dbs/<db>/colls/<coll>/docs[/<id>]  items.go, query.go, batch.go, changefeed.go
//	/dbs/<db>/colls/<coll>/pkranges     pkranges.go
func (s *Server) route(req *request) error {
	segs, m := req.segs, req.method
	n := len(segs)
	switch {
	case n == 0 && m == http.MethodGet:
		return s.account(req)
	case n == 0:
		return notFound("/")
	case n >= 1 && segs[0] == "offers":
		return s.offers(req)
	case n >= 1 && segs[0] == "_emulator":
		return s.admin(req)
	case n >= 1 && segs[0] != "dbs":
		return notFound("/" + strings.Join(segs, "/"))
	case n == 1:
		return s.databases(req)
	case n == 2:
		return s.database(req, segs[1])
	case segs[2] != "colls":
		// users, permissions, ...: resources Cosmos DB has and this server does not.
		return badRequest("The resource type %q is not supported by this server.", segs[2])
	case n == 3:
		return s.containers(req, segs[1])
	case n == 4:
		return s.containerResource(req, segs[1], segs[3])
	default:
		c, err := s.container(segs[1], segs[3])
		if err != nil {
			return err
		}
		switch {
		case n == 5 && segs[4] == "docs":
			return s.docsFeed(req, c)
		case n == 6 && segs[4] == "docs":
			return s.item(req, c, segs[5])
		case n == 5 && segs[4] == "pkranges":
			return s.pkranges(req, c)
		}
		return badRequest("The resource type %q is not supported by this server.", segs[4])
	}
}

func (s *Server) container(db, coll string) (*store.Container, error) {
	d, err := s.engine.Database(db)
	if err != nil {
		return nil, err
	}
	return d.Container(coll)
}
