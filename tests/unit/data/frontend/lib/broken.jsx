// A file with a syntax error: what parses must still be scanned.
export function Broken( {
  alert("inside a broken parameter list"); // HIT
  return <div>{ </div>
}

export function AfterTheError() {
  window.confirm("still found"); // HIT
}
