// Hover and key/value completion for *.aelab.yaml, from the schema.
import * as vscode from 'vscode';
import { Disposable } from './lifecycle';
import { parseDocument } from 'yaml';
import { corruptionTypeFor, hoverMarkdown, keyCompletions, valueCompletions, valueHoverMarkdown } from './model/schemaHelp';
import { keyAtOffset } from './model/yamlPath';

export const EXPERIMENT_SELECTOR: vscode.DocumentSelector = [{ pattern: '**/*.aelab.yaml' }];

function parseQuietly(text: string): unknown {
  try {
    return parseDocument(text).toJS({ maxAliasCount: 100 });
  } catch {
    return undefined;
  }
}

export class ExperimentLanguageFeatures extends Disposable {
  constructor() {
    super();
    this._register(vscode.languages.registerHoverProvider(EXPERIMENT_SELECTOR, {
      provideHover(document, position) {
        const text = document.getText();
        const hit = keyAtOffset(text, document.offsetAt(position));
        if (!hit) return undefined;
        const md = hit.value !== undefined
          ? valueHoverMarkdown(hit.path, hit.value)
          : hoverMarkdown(hit.path, { corruptionType: corruptionTypeFor(hit.path, parseQuietly(text)) });
        if (!md) return undefined;
        return new vscode.Hover(new vscode.MarkdownString(md), new vscode.Range(document.positionAt(hit.start), document.positionAt(hit.end)));
      },
    }));
    this._register(vscode.languages.registerCompletionItemProvider(EXPERIMENT_SELECTOR, {
      provideCompletionItems(document, position) {
        const text = document.getText();
        const values = valueCompletions(text, position.line, position.character);
        if (values.length) {
          return values.map((v) => {
            const item = new vscode.CompletionItem(v.value, vscode.CompletionItemKind.EnumMember);
            if (v.documentation) item.documentation = new vscode.MarkdownString(v.documentation);
            return item;
          });
        }
        return keyCompletions(text, position.line, position.character).map((c) => {
          const item = new vscode.CompletionItem(c.key.name, c.key.schema.properties ? vscode.CompletionItemKind.Module : vscode.CompletionItemKind.Property);
          item.insertText = c.insertText;
          item.documentation = new vscode.MarkdownString(c.documentation);
          item.detail = c.key.required ? 'required' : undefined;
          return item;
        });
      },
    }, ':', ' '));
  }
}
