// Drive the web page in headless Chromium as a new user would (playwright-core + Debian chromium).
// Usage: node ui_browser.js URL PORTRAIT SPEECH BAD_FILE SCREENSHOT
const path = require("path");
const { chromium } = require(path.resolve(__dirname, "..", ".cache", "node", "node_modules", "playwright-core"));
const [url, portrait, speech, bad, shot] = process.argv.slice(2);

async function upload(page, id, file) {
  const clear = page.locator(`#${id} button[aria-label="Clear"]`);
  if (await clear.count()) await clear.first().click();
  await page.locator(`#${id} input[type=file]`).first().setInputFiles(file);
}

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
                                          args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  const external = [];
  page.on("request", (r) => { const u = new URL(r.url()); if (!["127.0.0.1", "localhost"].includes(u.hostname) && u.protocol.startsWith("http")) external.push(r.url()); });
  const out = {};
  try {
    await page.goto(url, { waitUntil: "networkidle" });
    await page.locator("#generate").waitFor({ timeout: 60000 });
    await upload(page, "portrait", portrait);
    await upload(page, "speech", speech);
    await page.locator("#emotion input").first().fill("happy");
    await page.keyboard.press("Enter");
    // The keyframe table overrides the emotion: neutral, then sad from 0.6 s.
    for (const [r, c, text] of [[0, 0, "0"], [0, 1, "neutral"], [1, 0, "0.6"], [1, 1, "sad"], [1, 2, "0.9"]]) {
      const cell = page.locator(`#timeline [role=gridcell][data-row="${r}"][data-col="${c}"]`);
      for (let attempt = 0; attempt < 5; attempt++) {  // a busy page can drop the first keystrokes, as a user's would
        await cell.dblclick();
        await page.waitForTimeout(200);
        await page.keyboard.press("Control+A");
        await page.keyboard.type(text, { delay: 30 });
        await page.keyboard.press("Enter");
        await page.waitForTimeout(400);
        if ((await cell.innerText()).trim().startsWith(text)) break;
      }
    }
    out.timeline = await page.locator("#timeline [role=gridcell]").allInnerTexts();
    await page.locator("#generate").click();
    await page.locator("#video video").first().waitFor({ timeout: 240000 });
    out.video_src = await page.locator("#video video").first().getAttribute("src");
    out.video_duration = await page.locator("#video video").first().evaluate(
      (v) => new Promise((ok) => { if (v.readyState >= 1) ok(v.duration); else v.onloadedmetadata = () => ok(v.duration); v.onerror = () => ok(-1); }));
    out.downloads = await page.locator("#downloads a").evaluateAll((as) => as.map((a) => a.getAttribute("href") || a.textContent));
    out.status = (await page.locator("#status").innerText()).trim();
    await page.locator("#model3d canvas").first().waitFor({ timeout: 30000 }).catch(() => {});
    await page.waitForTimeout(3000);  // let the 3D view draw
    await page.screenshot({ path: shot, fullPage: true });
    await upload(page, "portrait", bad);
    await page.locator("#generate").click();
    await page.getByText("Could not make the video").first().waitFor({ timeout: 60000 });
    out.bad_status = (await page.locator("#status").innerText()).trim();
  } catch (err) {
    out.fatal = String(err);
    await page.screenshot({ path: shot + ".fail.png", fullPage: true }).catch(() => {});
  }
  out.external_requests = external;
  console.log(JSON.stringify(out));
  await browser.close();
})();
