package cosmosemu

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
)

// Client returns an *http.Client that serves requests in-process, with no
// socket, so tests and dev mode can hand it to azcosmos as its transport.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: inProcess{s}}
}

type inProcess struct{ s *Server }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	// The handler may read the body after RoundTrip's caller closes it, so
	// take a private copy first, as a network hop would.
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
	}
	if r.Host == "" {
		r.Host = r.URL.Host
	}
	rec := httptest.NewRecorder()
	t.s.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}
