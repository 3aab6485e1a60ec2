package cosmosemu_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"orderctx/infra/cosmosemu"
)

// emulatorToken mints a token the way the SDKs' emulator tests do: a JWT
// whose signature part is the account key.
func emulatorToken(key string, nbf, exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	header := `{"typ":"JWT","alg":"RS256","x5t":"CosmosEmulatorPrimaryMaster","kid":"CosmosEmulatorPrimaryMaster"}`
	claims := fmt.Sprintf(`{"aud":"https://localhost.localhost","iss":"https://sts.fake-issuer.net/7b1999a1-dfd7-440e-8204-00170979b984","nbf":%d,"exp":%d,"iat":%d,"oid":"96313034-4739-43cb-93cd-74193adbe5b6","tid":"EmulatorFederation"}`,
		nbf.Unix(), exp.Unix(), nbf.Unix())
	return enc([]byte(header)) + "." + enc([]byte(claims)) + "." + enc([]byte(key))
}

type staticToken string

func (s staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// TestEntraIDTokenThroughTheSDK: azcosmos with a token credential (type=aad)
// writes and reads items, as against the emulator.
func TestEntraIDTokenThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv, keyClient := newServer(t, cosmosemu.Config{})
	newContainer(t, keyClient, "aad")
	now := time.Now()
	client, err := azcosmos.NewClient(fmt.Sprintf("http://cosmos-%d.test/", servers.Add(1)),
		staticToken(emulatorToken(cosmosemu.EmulatorKey, now, now.Add(time.Hour))),
		&azcosmos.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: srv.Client(), InsecureAllowCredentialWithHTTP: true}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := client.NewContainer("db", "aad")
	pk := azcosmos.NewPartitionKeyString("a")
	ctx := context.Background()
	if _, err := c.CreateItem(ctx, pk, []byte(`{"id":"1","pk":"a"}`), nil); err != nil {
		t.Fatalf("create with an Entra ID token: %v", err)
	}
	if _, err := c.ReadItem(ctx, pk, "1", nil); err != nil {
		t.Fatalf("read with an Entra ID token: %v", err)
	}
}

// TestEntraIDTokenRefusals: what the server checks of a type=aad token.
func TestEntraIDTokenRefusals(t *testing.T) {
	t.Parallel()
	srv, err := cosmosemu.New(cosmosemu.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	now := time.Now()
	valid := emulatorToken(cosmosemu.EmulatorKey, now, now.Add(time.Hour))
	parts := strings.Split(valid, ".")
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"valid", valid, 200},
		{"other key", emulatorToken("c2VjcmV0", now, now.Add(time.Hour)), 401},
		{"expired", emulatorToken(cosmosemu.EmulatorKey, now.Add(-3*time.Hour), now.Add(-time.Hour)), 401},
		{"not yet valid", emulatorToken(cosmosemu.EmulatorKey, now.Add(time.Hour), now.Add(2*time.Hour)), 401},
		{"two parts", parts[0] + "." + parts[1], 401},
		{"claims not JSON", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte("nope")) + "." + parts[2], 401},
		{"no exp", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"nbf":1}`)) + "." + parts[2], 401},
	} {
		req, _ := http.NewRequest(http.MethodGet, "http://cosmos-aad.test/dbs", nil)
		req.Header.Set("Authorization", "type=aad&ver=1.0&sig="+tc.token)
		req.Header.Set("x-ms-date", now.UTC().Format(http.TimeFormat))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
}
