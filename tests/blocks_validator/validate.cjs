#!/usr/bin/env node
// Test-only: checks block markup with the block editor's own parser and validator.
//
// Input (stdin): a JSON array of {"id": string, "markup": string}; with --lines, one such array per
// line, each answered by one line (one process serves a whole test session: starting the editor's
// packages takes seconds).
// Output (stdout): a JSON array, one entry per input, of
//   {"id", "counts": {blockName: n}, "problems": [{"block", "path", "reason"}]}
// where a problem is a block the editor would not accept as is: invalid against its own save(),
// freeform (classic) content, or an unregistered block type.
//
// `parse()` alone is not enough: when a block does not match its save() it may be quietly migrated
// through a deprecation (and reported valid), so every block, inner blocks too, is checked again
// with `validateBlock` against its registered type.
'use strict';

const { JSDOM } = require( 'jsdom' );

function installDom() {
	const dom = new JSDOM( '<!doctype html><html><body></body></html>', {
		url: 'https://example.invalid/',
		pretendToBeVisual: true,
	} );
	const { window } = dom;
	const globals = [
		'window', 'document', 'navigator', 'Node', 'Element', 'HTMLElement', 'DOMParser',
		'DocumentFragment', 'MutationObserver', 'getComputedStyle', 'requestAnimationFrame',
		'cancelAnimationFrame', 'CustomEvent', 'Event', 'KeyboardEvent', 'MouseEvent', 'Range',
		'Selection', 'Text', 'HTMLTemplateElement', 'matchMedia', 'localStorage', 'sessionStorage',
		'CSS',
	];
	for ( const name of globals ) {
		if ( name === 'window' ) {
			global.window = window;
		} else if ( window[ name ] !== undefined && global[ name ] === undefined ) {
			try {
				global[ name ] = window[ name ];
			} catch ( e ) {
				// some globals (navigator) are read-only getters on Node 21+; Node 20 allows them
			}
		}
	}
	if ( ! window.matchMedia ) {
		window.matchMedia = () => ( {
			matches: false, addListener() {}, removeListener() {},
			addEventListener() {}, removeEventListener() {},
		} );
		global.matchMedia = window.matchMedia;
	}
	if ( ! global.CSS ) {
		global.CSS = { supports: () => false, escape: ( s ) => s };
		window.CSS = global.CSS;
	}
	global.ResizeObserver = global.ResizeObserver || class { observe() {} unobserve() {} disconnect() {} };
	window.ResizeObserver = global.ResizeObserver;
	// As in wp-admin: the Classic editor is present, so content outside blocks is parsed as the
	// freeform (Classic) block, which this script reports.
	window.wp = { oldEditor: {} };
	global.IntersectionObserver = global.IntersectionObserver || class { observe() {} unobserve() {} disconnect() {} };
	window.IntersectionObserver = global.IntersectionObserver;
}

function quietConsole() {
	// The editor packages warn (deprecations, validation details) on the console; the JSON on
	// stdout is the only output the caller reads, so their chatter goes to stderr.
	for ( const level of [ 'log', 'info', 'warn', 'error', 'debug' ] ) {
		console[ level ] = ( ...args ) => process.stderr.write( args.map( String ).join( ' ' ) + '\n' );
	}
}

function readStdin() {
	return new Promise( ( resolve, reject ) => {
		const chunks = [];
		process.stdin.on( 'data', ( c ) => chunks.push( c ) );
		process.stdin.on( 'end', () => resolve( Buffer.concat( chunks ).toString( 'utf8' ) ) );
		process.stdin.on( 'error', reject );
	} );
}

function reasonOf( issues ) {
	return ( issues || [] )
		.map( ( issue ) => {
			const args = ( issue.args || [] ).map( ( a ) => {
				if ( typeof a === 'string' ) {
					return a;
				}
				if ( a && typeof a === 'object' && a.name && a.attributes ) {
					return a.name; // a block type: its name says enough
				}
				return String( JSON.stringify( a ) ).slice( 0, 300 );
			} );
			let text = String( issue.args && issue.args[ 0 ] ? args[ 0 ] : '' );
			let i = 1;
			text = text.replace( /%[sodj]/g, () => ( i < args.length ? args[ i++ ] : '' ) );
			return text;
		} )
		.join( ' | ' )
		.slice( 0, 4000 );
}

function checkTree( blocks, api, counts, problems, prefix ) {
	blocks.forEach( ( block, index ) => {
		const path = prefix + index;
		const name = block.name;
		const freeformName = api.getFreeformContentHandlerName();
		const unregisteredName = api.getUnregisteredTypeHandlerName();
		counts[ name ] = ( counts[ name ] || 0 ) + 1;
		if ( name === freeformName || name === unregisteredName ) {
			const content = block.originalContent || block.attributes.content || '';
			if ( String( content ).trim() !== '' ) {
				problems.push( {
					block: name,
					path,
					reason: name === freeformName
						? 'freeform (classic) content outside any block: ' + String( content ).slice( 0, 300 )
						: 'unregistered block type ' + ( block.attributes.originalName || '?' ),
				} );
			}
			return;
		}
		if ( name === 'core/html' ) {
			// Custom HTML has no save(): the editor keeps its static inner content as written
			// (the parser marks it valid); check that it serialises back unchanged.
			const again = api.serialize( [ block ] );
			const expected = api.serialize( [ api.parse( again )[ 0 ] ] );
			if ( again !== expected || ! again.includes( block.originalContent ) ) {
				problems.push( { block: name, path, reason: 'Custom HTML does not serialise back unchanged' } );
			}
			return;
		}
		const type = api.getBlockType( name );
		if ( ! type ) {
			problems.push( { block: name, path, reason: 'no such block type' } );
			return;
		}
		if ( block.isValid === false ) {
			problems.push( { block: name, path, reason: 'parse: ' + reasonOf( block.validationIssues ) } );
		}
		const [ isValid, issues ] = api.validateBlock( block, type );
		if ( ! isValid ) {
			problems.push( { block: name, path, reason: 'validateBlock: ' + reasonOf( issues ) } );
		}
		if ( block.innerBlocks && block.innerBlocks.length ) {
			checkTree( block.innerBlocks, api, counts, problems, path + '.' );
		}
	} );
}

function checkAll( api, input ) {
	return input.map( ( { id, markup } ) => {
		const counts = {};
		const problems = [];
		try {
			const blocks = api.parse( markup );
			checkTree( blocks, api, counts, problems, '' );
		} catch ( error ) {
			problems.push( { block: null, path: '', reason: 'parse failed: ' + String( error && error.stack ) } );
		}
		return { id, counts, problems };
	} );
}

async function main() {
	installDom();
	quietConsole();
	const api = require( '@wordpress/blocks' );
	const library = require( '@wordpress/block-library' );
	library.registerCoreBlocks();
	if ( process.argv.includes( '--lines' ) ) {
		const lines = require( 'readline' ).createInterface( { input: process.stdin } );
		process.stdout.write( JSON.stringify( { ready: true } ) + '\n' );
		for await ( const line of lines ) {
			if ( line.trim() ) {
				process.stdout.write( JSON.stringify( checkAll( api, JSON.parse( line ) ) ) + '\n' );
			}
		}
		return;
	}
	process.stdout.write( JSON.stringify( checkAll( api, JSON.parse( await readStdin() ) ) ) );
}

main().catch( ( error ) => {
	process.stderr.write( String( error && error.stack ) + '\n' );
	process.exit( 2 );
} );
