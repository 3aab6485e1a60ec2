package cosmosdb

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// emulatorToken is a Microsoft Entra ID credential for the Cosmos DB
// Emulator and the embedded server: it mints the token they accept, a JWT
// whose signature part is the account key (as the SDKs' emulator tests do).
// It lets the keyless path of this product (azcosmos.NewClient with a token
// credential, as in Azure) run locally: COSMOS_CREDENTIAL=emulator.
type emulatorToken struct{ key string }

// emulatorTokenLifetime is how long a minted token is valid.
const emulatorTokenLifetime = 2 * time.Hour

// GetToken implements azcore.TokenCredential.
func (e emulatorToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	now := time.Now()
	exp := now.Add(emulatorTokenLifetime)
	enc := base64.RawURLEncoding.EncodeToString
	header := `{"typ":"JWT","alg":"RS256","x5t":"CosmosEmulatorPrimaryMaster","kid":"CosmosEmulatorPrimaryMaster"}`
	claims := fmt.Sprintf(`{"aud":"https://localhost.localhost","iss":"https://sts.fake-issuer.net/7b1999a1-dfd7-440e-8204-00170979b984",`+
		`"iat":%d,"nbf":%d,"exp":%d,"appid":"localhost","oid":"96313034-4739-43cb-93cd-74193adbe5b6","sub":"localhost",`+
		`"tid":"EmulatorFederation","ver":"1.0","scp":"user_impersonation"}`, now.Unix(), now.Unix(), exp.Unix())
	token := enc([]byte(header)) + "." + enc([]byte(claims)) + "." + enc([]byte(e.key))
	return azcore.AccessToken{Token: token, ExpiresOn: exp}, nil
}
