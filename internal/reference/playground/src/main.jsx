// The playground: GraphiQL over this server's /graphql, built into
// internal/reference/assets by scripts/build-playground.sh. Queries and
// mutations go over fetch, subscriptions over graphql-transport-ws; both
// carry the headers of GraphiQL's header editor, which starts with the
// token the reference page's sign-in stored, so nothing needs another origin.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createClient } from 'graphql-ws';
import { parse, getOperationAST } from 'graphql';
import 'graphiql/graphiql.css';

const httpURL = new URL('/graphql', location.href).href;
const wsURL = httpURL.replace(/^http/, 'ws');

// One websocket per distinct header set: a new token in the header editor
// opens a socket that authenticates with it in connection_init.
const sockets = new Map();
function socketFor(headers) {
  const key = JSON.stringify(headers);
  if (!sockets.has(key)) {
    sockets.set(key, createClient({ url: wsURL, connectionParams: { headers }, lazy: true }));
  }
  return sockets.get(key);
}

function isSubscription(params) {
  try {
    const op = getOperationAST(parse(params.query), params.operationName || undefined);
    return op && op.operation === 'subscription';
  } catch {
    return false;
  }
}

function fetcher(params, opts) {
  const headers = (opts && opts.headers) || {};
  if (isSubscription(params)) {
    const client = socketFor(headers);
    return {
      [Symbol.asyncIterator]() {
        const queue = [];
        let wake = null;
        let done = false;
        const push = (item) => { queue.push(item); if (wake) { wake(); wake = null; } };
        const dispose = client.subscribe(params, {
          next: (value) => push({ value }),
          error: (error) => push({ error }),
          complete: () => push({ done: true }),
        });
        return {
          async next() {
            while (!queue.length) await new Promise((r) => { wake = r; });
            const item = queue.shift();
            if (item.done) { done = true; return { done: true, value: undefined }; }
            if (item.error) {
              done = true;
              const err = item.error;
              return { done: false, value: Array.isArray(err) ? { errors: err } : { errors: [{ message: String(err.reason || err.message || err) }] } };
            }
            return { done: false, value: item.value };
          },
          async return() { if (!done) dispose(); done = true; return { done: true, value: undefined }; },
        };
      },
    };
  }
  return fetch(httpURL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
    body: JSON.stringify(params),
  }).then((res) => res.json());
}

const url = new URL(location.href);
const token = localStorage.getItem('fastcms_access_token');
// Without a stored token the headers start empty: a placeholder token
// would make the server refuse the subscriptions' websocket.
const initialHeaders = token ? JSON.stringify({ Authorization: 'Bearer ' + token }, null, 2) : '{}';
const props = {
  fetcher,
  defaultHeaders: initialHeaders,
  isHeadersEditorEnabled: true,
  shouldPersistHeaders: false,
  defaultEditorToolsVisibility: 'headers',
};
if (url.searchParams.has('query')) {
  props.query = url.searchParams.get('query');
  props.variables = url.searchParams.get('variables') || '';
  props.headers = initialHeaders;
}

createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, props));
