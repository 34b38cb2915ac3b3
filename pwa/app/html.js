// Preact with htm: components written as tagged templates, so the app needs no build step.
import { h, render, Fragment, createRef } from '/vendor/preact-11.2.0/preact.mjs';
import {
  useState,
  useEffect,
  useLayoutEffect,
  useRef,
  useMemo,
  useCallback,
  useReducer,
  useId,
} from '/vendor/preact-11.2.0/hooks.mjs';
import htm from '/vendor/htm-3.1.1/htm.mjs';

export const html = htm.bind(h);
export {
  h,
  render,
  Fragment,
  createRef,
  useState,
  useEffect,
  useLayoutEffect,
  useRef,
  useMemo,
  useCallback,
  useReducer,
  useId,
};
