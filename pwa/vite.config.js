// Build: `npm run build` → dist/ (served by Flask: app/pwa.py). Tests: `npm test` (vitest, specs beside sources).
import { fileURLToPath, URL } from "node:url";
import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

// Vant's icon font ships inline (woff2, a data: URL) with a CDN copy as a woff fallback: no CDN here, ever
// (and the CSP would refuse it) — the fallback is cut from the CSS at build time.
const noCdnFonts = {
  name: "battlemap-no-cdn-fonts",
  enforce: "pre",
  transform(code, id) {
    if (!id.endsWith(".css") || !code.includes("alicdn.com")) return null;
    return { code: code.replace(/,\s*url\((["']?)(https?:)?\/\/at\.alicdn\.com[^)]*\)\s*format\((["'])woff\3\)/g, ""), map: null };
  },
};

export default defineConfig({
  base: "/",
  resolve: {
    alias: {
      "@": fileURLToPath(new URL("./src", import.meta.url)),
      "@locales": fileURLToPath(new URL("../locales", import.meta.url)),
    },
  },
  plugins: [
    noCdnFonts,
    vue(),
    VitePWA({
      strategies: "injectManifest",
      srcDir: "src/service-worker",
      filename: "sw.js",
      injectRegister: false,
      manifest: false,
      injectManifest: {
        globPatterns: ["**/*.{js,css,html,png,svg,webmanifest,woff2}"],
        maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
      },
    }),
  ],
  server: { fs: { allow: [".."] } },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  test: {
    environment: "node",
    include: ["src/**/*.spec.js"],
    setupFiles: ["src/test-setup.js"],
  },
});
