/** @type {import('next').NextConfig} */
const nextConfig = {
  output: "standalone",
  // The public site proxies /api/v1/public/* to the backend; the admin talks to it directly.
  env: {
    NEXT_PUBLIC_SOURCE_COMMIT: process.env.SOURCE_COMMIT || "",
  },
};

module.exports = nextConfig;
