'use client';

// next-auth@5's React client only: no Auth.js server runs in Next.js. Its
// requests go to /api/auth on this origin, which next.config.mjs forwards to Gin.
import { SessionProvider } from 'next-auth/react';

export default function Providers({ children }) {
  return <SessionProvider>{children}</SessionProvider>;
}
