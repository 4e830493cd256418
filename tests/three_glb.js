// Load a .glb with three.js's GLTFLoader in headless Chromium, play its animation and report
// the jawOpen morph influence over time (npm three + playwright-core, Debian chromium).
// Usage: node three_glb.js FILE.glb
const path = require("path");
const fs = require("fs");
const modules = path.resolve(__dirname, "..", ".cache", "node", "node_modules");
const { chromium } = require(path.join(modules, "playwright-core"));
const glb = path.resolve(process.argv[2]);

const page_html = `<!doctype html><html><body>
<script type="importmap">{"imports": {"three": "/three/build/three.module.js", "three/addons/": "/three/examples/jsm/"}}</script>
<script type="module">
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
new GLTFLoader().load("/face.glb", (gltf) => {
  let face = null;
  gltf.scene.traverse((o) => { if (o.isMesh && o.morphTargetDictionary && !face) face = o; });
  const mixer = new THREE.AnimationMixer(gltf.scene);
  const clip = gltf.animations[0];
  mixer.clipAction(clip).play();
  const jaw = face.morphTargetDictionary["jawOpen"];
  const samples = [];
  const steps = 60;
  for (let i = 0; i <= steps; i++) {
    mixer.setTime(clip.duration * i / steps);
    samples.push(face.morphTargetInfluences[jaw]);
  }
  window.result = { names: Object.keys(face.morphTargetDictionary).length, duration: clip.duration, jaw: samples,
                    textured: !!(face.material && face.material.map) };
}, undefined, (err) => { window.result = { error: String(err) }; });
</script></body></html>`;

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
  const page = await browser.newPage();
  await page.route("http://emoface.test/**", (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === "/") return route.fulfill({ body: page_html, contentType: "text/html" });
    if (url.pathname === "/face.glb") return route.fulfill({ body: fs.readFileSync(glb), contentType: "model/gltf-binary" });
    const file = path.join(modules, url.pathname);
    if (!file.startsWith(modules) || !fs.existsSync(file)) return route.fulfill({ status: 404, body: "" });
    return route.fulfill({ body: fs.readFileSync(file), contentType: "text/javascript" });
  });
  await page.goto("http://emoface.test/");
  await page.waitForFunction(() => window.result !== undefined, null, { timeout: 60000 });
  console.log(JSON.stringify(await page.evaluate(() => window.result)));
  await browser.close();
})().catch((err) => { console.log(JSON.stringify({ error: String(err) })); process.exit(1); });
