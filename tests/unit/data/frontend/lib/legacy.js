// Old helpers still using browser dialogs, in every syntactic disguise.
export function legacyNotify(msg) {
  window.alert(msg); // HIT
  globalThis.confirm("sure?"); // HIT
  self.prompt("name?"); // HIT
  window?.alert("optional chain"); // HIT
  alert?.("optional call"); // HIT
  (0, alert)("indirect"); // HIT
  window["prompt"]("computed member"); // HIT
  const re = /alert\(/g;
  return re.test(msg) ? myAlert(msg) : document.alert;
}
function myAlert(m) { return m; }
