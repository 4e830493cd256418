// The page's Live tab in headless Chromium, a fake microphone playing a known wav (playwright-core +
// Debian chromium). Usage: node live_browser.js URL WAV TRANSPORT SECONDS SCREENSHOT
// Prints what the page kept (window.emofaceLive) as JSON: each frame's arrival and, over the
// WebSocket, when the speech it shows was sent.
const path = require("path");
const { chromium } = require(path.resolve(__dirname, "..", ".cache", "node", "node_modules", "playwright-core"));
const [url, wav, transport, seconds, shot, bad, source, badWav] = process.argv.slice(2);

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
           `--use-file-for-fake-audio-capture=${wav}%noloop`, "--autoplay-policy=no-user-gesture-required"] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, permissions: ["microphone"] });
  const page = await context.newPage();
  const out = {};
  try {
    await page.goto(url, { waitUntil: "networkidle" });
    await page.getByRole("tab", { name: "Live" }).click();
    await page.locator("#live-start").waitFor({ timeout: 30000 });
    await page.selectOption("#live-transport", transport);
    if (source === "file") {
      await page.selectOption("#live-source", "file");
      await page.locator("#live-wav").setInputFiles(wav);
    } else {
      await page.selectOption("#live-source", "mic");
    }
    await page.locator("#live-start").click();
    await page.waitForFunction(() => window.emofaceLive && window.emofaceLive.state !== "starting", null,
                               { timeout: 60000 });
    await page.waitForTimeout(500 * Number(seconds));
    await page.selectOption("#live-emotion", "happy");  // mid-sentence, eased in
    await page.waitForTimeout(500 * Number(seconds));
    const face = transport === "websocket" ? "#live-canvas" : "#live-video";
    await page.locator(face).screenshot({ path: shot }).catch((e) => { out.shot_error = String(e); });
    out.status = await page.locator("#live-status").innerText();
    out.live = await page.evaluate(() => { const s = { ...window.emofaceLive }; delete s.emotion; return s; });
    await page.locator("#live-stop").click();
    await page.waitForTimeout(500);
    if (bad && bad !== "-") {
      await page.locator("#live-portrait").setInputFiles(bad);
      await page.locator("#live-start").click();
      await page.waitForFunction(() => window.emofaceLive.state === "failed", null, { timeout: 60000 });
      out.bad_status = await page.locator("#live-status").innerText();
    }
    if (badWav && badWav !== "-") {
      await page.locator("#live-portrait").setInputFiles([]);
      await page.selectOption("#live-source", "file");
      await page.locator("#live-wav").setInputFiles(badWav);
      await page.locator("#live-start").click();
      await page.waitForFunction(() => window.emofaceLive.state === "failed", null, { timeout: 60000 });
      out.bad_wav_status = await page.locator("#live-status").innerText();
    }
  } catch (err) {
    out.fatal = String(err);
    await page.screenshot({ path: shot + ".fail.png", fullPage: true }).catch(() => {});
  }
  console.log(JSON.stringify(out));
  await browser.close();
})();
