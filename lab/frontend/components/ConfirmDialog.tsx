"use client";

import type { ReactNode } from "react";

type ConfirmDialogProps = {
  open: boolean;
  title: string;
  children: ReactNode;
  acceptLabel?: string;
  onAccept: () => void;
  onCancel: () => void;
};

/** In-app confirmation, used wherever a browser dialog used to block the page. */
export function ConfirmDialog({ open, title, children, acceptLabel = "Continue", onAccept, onCancel }: ConfirmDialogProps) {
  if (!open) {
    return null;
  }
  return (
    <div className="dialog-backdrop" role="presentation">
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="dialog-title">
        <h2 id="dialog-title">{title}</h2>
        <div className="dialog-body">{children}</div>
        <div className="dialog-actions">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="button" className="primary" onClick={onAccept}>
            {acceptLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
