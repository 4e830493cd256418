// Validate a .glb with the Khronos glTF validator; prints its report's summary as JSON.
const path = require("path");
const fs = require("fs");
const validator = require(path.resolve(__dirname, "..", ".cache", "node", "node_modules", "gltf-validator"));
const data = new Uint8Array(fs.readFileSync(process.argv[2]));
validator.validateBytes(data).then((report) => {
  console.log(JSON.stringify({errors: report.issues.numErrors, warnings: report.issues.numWarnings,
                              messages: report.issues.messages.slice(0, 5), info: report.info}));
}).catch((err) => { console.log(JSON.stringify({fatal: String(err)})); process.exit(1); });
