'use client';

import { signIn, signOut, useSession } from 'next-auth/react';
import { useState } from 'react';

export default function Home() {
  const { data: session, status } = useSession();
  const [error, setError] = useState('');
  const [me, setMe] = useState('');

  async function onSignIn(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError('');
    // POST /api/auth/callback/credentials with X-Auth-Return-Redirect: 1;
    // Gin answers {url} and sets the authjs.session-token cookie.
    const res = await signIn('credentials', {
      username: form.get('username'),
      password: form.get('password'),
      redirect: false,
    });
    if (res?.error) setError(res.error);
  }

  async function onCallApi() {
    // A Gin route behind auth.RequireAuth, reached through the same rewrite.
    const res = await fetch('/api/me');
    const body = await res.json();
    setMe(res.ok ? `${res.status} ${body.user?.name}` : `${res.status} ${body.status ?? ''}`);
  }

  return (
    <main>
      <h1>ginauth + Next.js</h1>
      <p id="status" data-status={status}>Status: {status}</p>
      {status === 'authenticated' && (
        <section>
          <p>
            Signed in as <strong id="user-name">{session.user?.name}</strong> ({session.user?.email})
          </p>
          <button id="call-api" onClick={onCallApi}>Call /api/me</button>{' '}
          <button id="sign-out" onClick={() => signOut()}>Sign out</button>
          {me && <p id="api-result">/api/me: {me}</p>}
        </section>
      )}
      {status === 'unauthenticated' && (
        <form id="sign-in" onSubmit={onSignIn}>
          <p id="signed-out">You are signed out.</p>
          <label>Username <input name="username" autoComplete="username" /></label>{' '}
          <label>Password <input name="password" type="password" autoComplete="current-password" /></label>{' '}
          <button type="submit">Sign in</button>{' '}
          {/* signIn() without a provider opens Gin's own sign-in page, on this origin. */}
          <button id="sign-in-page" type="button" onClick={() => signIn()}>Use Gin's sign-in page</button>
          {error && <p id="error" role="alert">Sign-in failed: {error}</p>}
        </form>
      )}
    </main>
  );
}
