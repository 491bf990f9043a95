// The browser side of the passkey tests: Auth.js's own client functions,
// bundled by esbuild (see lib.mjs) into the page the browser opens, and
// exposed as window.authjsClient for the drivers to call. The ceremonies of
// @simplewebauthn/browser (the library next-auth/webauthn calls) are
// exposed too, for the attacks that make an authenticator sign what a
// client would not send.
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { signOut, getSession, getCsrfToken, getProviders } from 'next-auth/react';
import { signIn } from 'next-auth/webauthn';

window.authjsClient = { signIn, signOut, getSession, getCsrfToken, getProviders, startAuthentication, startRegistration };
