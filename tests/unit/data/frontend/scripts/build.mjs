#!/usr/bin/env node
// Build helper: mentions popups only in strings and comments.
const banner = `Checking frontend/ for browser popups (alert/confirm/prompt)...`;
const rule = { "no-alert": "error" }; // eslint: alert( confirm( prompt(
console.log(banner, JSON.stringify(rule), "prompt(");
export default function confirmBuild() { return true; }
confirmBuild();
