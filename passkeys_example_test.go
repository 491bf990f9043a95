package ginauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/adapters/memory"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/providers"
)

// An account page lists the signed-in user's passkeys and removes one on
// request: DeletePasskey checks that it is the user's.
func ExampleAuth_Passkeys() {
	store := memory.New()
	auth, err := ginauth.New(ginauth.Config{
		Secret:    "a-secret-of-at-least-32-bytes-from-AUTH_SECRET",
		URL:       "https://app.example.com",
		Adapter:   store,
		Providers: []providers.Provider{providers.Passkey(providers.PasskeyConfig{})},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := gin.New()
	auth.Mount(r)
	account := r.Group("/account/passkeys", auth.RequireAuth())
	account.GET("", func(c *gin.Context) {
		tok, _ := ginauth.Token(c) // its "sub" is the stored user's ID
		list, err := auth.Passkeys(c.Request.Context(), tok.Subject())
		if err != nil {
			c.AbortWithStatus(http.StatusServiceUnavailable)
			return
		}
		c.JSON(http.StatusOK, list)
	})
	account.POST("/delete", func(c *gin.Context) { // behind the application's CSRF protection
		tok, _ := ginauth.Token(c)
		err := auth.DeletePasskey(c.Request.Context(), tok.Subject(), c.PostForm("credentialId"))
		switch {
		case errors.Is(err, ginauth.ErrPasskeyNotFound):
			c.AbortWithStatus(http.StatusNotFound)
		case err != nil:
			c.AbortWithStatus(http.StatusServiceUnavailable)
		default:
			c.Redirect(http.StatusSeeOther, "/account/passkeys")
		}
	})

	// Two users with a passkey each, as a passkey sign-up stores them.
	ctx := context.Background()
	for _, u := range []struct{ email, cred string }{{"ann@example.com", "QUFBQQ=="}, {"bob@example.com", "QkJCQg=="}} {
		user, _ := store.CreateUser(ctx, authjs.User{Email: u.email})
		_ = store.LinkAccount(ctx, authjs.Account{UserID: user.ID, Provider: "passkey", Type: authjs.TypeWebAuthn, ProviderAccountID: u.cred})
		_ = store.CreateAuthenticator(ctx, authjs.Authenticator{CredentialID: u.cred, UserID: user.ID, ProviderAccountID: u.cred,
			CredentialPublicKey: "cHVibGljLWtleQ==", CredentialDeviceType: "multiDevice", CredentialBackedUp: true, Transports: "internal,hybrid"})
	}
	ann, _ := store.GetUserByEmail(ctx, "ann@example.com")
	list, _ := auth.Passkeys(ctx, ann.ID)
	fmt.Printf("%+v\n", list)
	fmt.Println(errors.Is(auth.DeletePasskey(ctx, ann.ID, "QkJCQg=="), ginauth.ErrPasskeyNotFound)) // Bob's
	fmt.Println(auth.DeletePasskey(ctx, ann.ID, "QUFBQQ=="))
	list, _ = auth.Passkeys(ctx, ann.ID)
	fmt.Println(len(list))
	// Output:
	// [{CredentialID:QUFBQQ== Counter:0 Synced:true BackedUp:true Transports:[internal hybrid]}]
	// true
	// <nil>
	// 0
}
