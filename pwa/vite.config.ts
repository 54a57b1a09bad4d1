import { defineConfig } from "vite";

// The app shell: index.html + hashed JS/CSS under assets/. The service worker is built by
// vite.sw.config.ts afterwards, so it can list these files for precaching.
export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/real-server.ts"],
    // The outbox tests talk to a real server process on a busy machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
} as any);
