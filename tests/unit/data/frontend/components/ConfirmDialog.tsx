// In-app dialogs: the runbook's replacement for window.confirm(). Nothing here may be reported.
import { createContext, useContext } from "react";

type Ask = (message: string) => Promise<boolean>;
const DialogContext = createContext<{ confirm: Ask; prompt: Ask } | null>(null);

export function useConfirm() {
  const ctx = useContext(DialogContext);
  if (!ctx) throw new Error("useConfirm() outside <DialogProvider>; never fall back to confirm()");
  return ctx;
}

export function DeleteButton({ onDelete }: { onDelete: () => void }) {
  const { confirm } = useConfirm();
  const myConfirm = async () => confirm("Delete?");
  return (
    <button
      onClick={async () => {
        if (await confirm("Really delete?")) onDelete();
        await myConfirm();
      }}
    >
      alert("JSX text is not code")
    </button>
  );
}

export function Rename({ prompt }: { prompt: Ask }) {
  return <button onClick={() => prompt("New name?")}>Rename</button>;
}

const logger = { alert: (m: string) => console.error(m) };
logger.alert("method named alert");
export const notes = 'call alert("x") in a string';
