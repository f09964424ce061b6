import type { ReactNode } from "react";

import { ToastProvider } from "../components/ToastProvider";

export const metadata = {
  title: process.env.PMS_SITE === "public" ? "Ferienwohnungen" : "PMS Admin",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="de">
      <body>
        <ToastProvider>{children}</ToastProvider>
      </body>
    </html>
  );
}
