// Registers the @vscode/webview-ui-toolkit components the panels use. The toolkit is an ES
// module, and this tree typechecks as CommonJS: only an .mts file may import it statically.
// No vscode-badge: its template sets an inline style attribute, which the panels' CSP forbids.
import {
  provideVSCodeDesignSystem, vsCodeButton, vsCodeCheckbox, vsCodeDropdown, vsCodeOption, vsCodeTextField,
} from '@vscode/webview-ui-toolkit';

export function registerToolkit(): void {
  provideVSCodeDesignSystem().register(
    vsCodeButton(),
    vsCodeCheckbox(),
    vsCodeDropdown(),
    vsCodeOption(),
    vsCodeTextField(),
  );
}
