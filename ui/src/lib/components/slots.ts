/// <reference types="vite/client" />
// Screens built by colleagues in their own folders, embedded here when they exist. Vite
// resolves the glob at build time: no file, no entry (the page then shows its own fallback).
import type { Component } from 'svelte';

type Module<P extends Record<string, unknown>> = { default: Component<P> };

const connections = import.meta.glob<Module<{ clientId: number }>>(
  '../../connections/ConnectionsPanel.svelte',
  { eager: true },
);
const settings = import.meta.glob<Module<Record<string, never>>>(
  '../../settings/SettingsScreen.svelte',
  { eager: true },
);

/** `ui/src/connections/ConnectionsPanel.svelte` (prop `clientId`), or null until it lands. */
export const ConnectionsPanel: Component<{ clientId: number }> | null =
  Object.values(connections)[0]?.default ?? null;

/** `ui/src/settings/SettingsScreen.svelte`, or null until it lands. */
export const SettingsScreen: Component<Record<string, never>> | null =
  Object.values(settings)[0]?.default ?? null;
