// TypeScript (not TSX): casts and non-null assertions around the callee.
export async function confirmDelete(id: string): Promise<boolean> {
  const ok: boolean = (window as any).confirm(`Delete ${id}?`); // HIT
  window!.alert("done"); // HIT
  const label = <string>"prompt(not a call)";
  return ok && label.length > 0;
}

export function withLocalAlert(alert: (m: string) => void) {
  alert("parameter shadows the global");
}

export class Notifier {
  alert(msg: string) {
    return msg;
  }
  run() {
    this.alert("method call");
  }
}
