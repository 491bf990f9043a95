// The browser side of the passkey tests: Auth.js's own client functions,
// bundled by esbuild (see flow.mjs) into the page the browser opens, and
// exposed as window.authjsClient for the driver to call.
import { signOut, getSession, getCsrfToken, getProviders } from 'next-auth/react';
import { signIn } from 'next-auth/webauthn';

window.authjsClient = { signIn, signOut, getSession, getCsrfToken, getProviders };
