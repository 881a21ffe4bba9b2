// Builds the web app's third-party scripts into the Python package's static folder.
//
// The packages below are pinned in package-lock.json (`npm ci` installs exactly those bytes, checked
// against the lockfile's integrity hashes). Each one already publishes a minified browser build, so
// this script takes that file as published - no bundler, no rewriting - and records where every
// output came from in vendor/manifest.json. The output is committed; CI runs `npm ci && npm run
// build` and fails when the result differs from what is committed.
//
// Plain Node (>= 18), no dependencies.

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const out = join(here, "..", "src", "echome", "web", "static", "vendor");

// output file -> [npm package, the package's own minified browser build, its licence file]
const VENDORED = {
  "htmx.min.js": ["htmx.org", "dist/htmx.min.js", "LICENSE"],
  "htmx-sse.min.js": ["htmx-ext-sse", "dist/sse.min.js", "LICENSE"],
};

function packageInfo(name, licenceText) {
  const meta = JSON.parse(readFileSync(join(modules, name, "package.json"), "utf8"));
  // htmx-ext-sse's package.json names no licence; its LICENSE file's title does.
  return { version: meta.version, license: meta.license ?? licenceText.split("\n")[0].trim() };
}

function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

// The typeface: Inter's variable-weight files for the scripts sellers write in, as published by
// @fontsource-variable/inter, with @font-face rules written here from the package's own
// unicode-range table (a browser fetches a file only when a page has characters in its range).
const FONT_PACKAGE = "@fontsource-variable/inter";
const FONT_SUBSETS = ["latin", "latin-ext", "cyrillic", "greek", "vietnamese"];

// Anything left over from an earlier build (a renamed or dropped file) would be served stale.
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "licenses"), { recursive: true });

const manifest = {};
for (const [file, [pkg, source, licence]] of Object.entries(VENDORED)) {
  const bytes = readFileSync(join(modules, pkg, source));
  writeFileSync(join(out, file), bytes);
  const licenceText = readFileSync(join(modules, pkg, licence), "utf8");
  writeFileSync(join(out, "licenses", `${pkg}.txt`), licenceText);
  const info = packageInfo(pkg, licenceText);
  manifest[file] = {
    package: pkg,
    version: info.version,
    license: info.license,
    source,
    bytes: bytes.length,
    sha256: sha256(bytes),
  };
}
{
  const dir = join(modules, FONT_PACKAGE);
  const ranges = JSON.parse(readFileSync(join(dir, "unicode.json"), "utf8"));
  const licenceText = readFileSync(join(dir, "LICENSE"), "utf8");
  const info = packageInfo(FONT_PACKAGE, licenceText);
  mkdirSync(join(out, "fonts"), { recursive: true });
  writeFileSync(join(out, "licenses", "inter.txt"), licenceText);
  const rules = [`/* ${FONT_PACKAGE}@${info.version} (${info.license}), built by web/build.mjs */`];
  for (const subset of FONT_SUBSETS) {
    const file = `inter-${subset}-wght-normal.woff2`;
    const bytes = readFileSync(join(dir, "files", file));
    writeFileSync(join(out, "fonts", file), bytes);
    manifest[`fonts/${file}`] = {
      package: FONT_PACKAGE,
      version: info.version,
      license: info.license,
      source: `files/${file}`,
      bytes: bytes.length,
      sha256: sha256(bytes),
    };
    rules.push(
      "@font-face{font-family:\"Inter\";font-style:normal;font-display:swap;font-weight:100 900;" +
        `src:url(fonts/${file}) format("woff2");unicode-range:${ranges[subset]}}`,
    );
  }
  writeFileSync(join(out, "inter.css"), rules.join("\n") + "\n");
}
writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");

console.log(`vendor build: ${Object.keys(manifest).length} files into ${out}`);
for (const [file, m] of Object.entries(manifest)) {
  console.log(`  ${file}  ${m.package}@${m.version}  ${m.bytes} bytes  sha256 ${m.sha256.slice(0, 12)}`);
}
