// Preact with htm, from the vendor files the patient app serves too: the workspace has no build step.
import { h, render, Fragment, createRef, createContext } from '/vendor/preact-11.2.0/preact.mjs';
import {
  useState,
  useEffect,
  useLayoutEffect,
  useRef,
  useMemo,
  useCallback,
  useReducer,
  useId,
  useContext,
  useErrorBoundary,
} from '/vendor/preact-11.2.0/hooks.mjs';
import htm from '/vendor/htm-3.1.1/htm.mjs';

export const html = htm.bind(h);
export {
  h,
  render,
  Fragment,
  createRef,
  createContext,
  useState,
  useEffect,
  useLayoutEffect,
  useRef,
  useMemo,
  useCallback,
  useReducer,
  useId,
  useContext,
  useErrorBoundary,
};
