// Open the REST service's /docs and /redoc in headless Chromium with every other host unreachable
// (playwright-core + Debian chromium), and report what rendered and what was asked of other hosts.
// Usage: node docs_browser.js URL SCREENSHOT
const path = require("path");
const { chromium } = require(path.resolve(__dirname, "..", ".cache", "node", "node_modules", "playwright-core"));
const [url, shot] = process.argv.slice(2);

(async () => {
  // No host but the server resolves: the pages must need nothing from a network.
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
                                          args: ["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  const external = [], failed = [];
  await page.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if (u.protocol.startsWith("http") && !["127.0.0.1", "localhost"].includes(u.hostname)) {
      external.push(u.href);
      return route.abort();
    }
    return route.continue();
  });
  page.on("requestfailed", (r) => failed.push(r.url()));
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const out = {};
  try {
    await page.goto(url + "/docs", { waitUntil: "networkidle" });
    await page.locator(".opblock-summary-path").first().waitFor({ timeout: 30000 });
    out.operations = await page.locator(".opblock-summary-path").allInnerTexts();
    out.schemas = await page.locator("section.models .json-schema-2020-12__title").allInnerTexts();
    // The submit operation, opened as a reader would: its form fields and the options' list.
    await page.locator(".opblock-summary").first().click();
    await page.locator(".opblock-body .parameters-container").first().waitFor({ timeout: 10000 });
    out.submit_text = await page.locator(".opblock-body").first().innerText();
    await page.screenshot({ path: shot, fullPage: true });
    await page.goto(url + "/redoc", { waitUntil: "networkidle" });
    await page.getByText("Submit a video job").first().waitFor({ timeout: 30000 });
    out.redoc_text = await page.locator("body").innerText();
    await page.screenshot({ path: shot.replace(/\.png$/, ".redoc.png") });
  } catch (err) {
    out.fatal = String(err);
    await page.screenshot({ path: shot + ".fail.png", fullPage: true }).catch(() => {});
  }
  out.page_errors = errors;
  out.external_requests = external;
  out.failed_requests = failed.filter((u) => !external.includes(u));
  console.log(JSON.stringify(out));
  await browser.close();
})();
