//! `#[throwaway::test]`: a test whose arguments are handed out by shared containers.
//!
//! Use it through the `throwaway` crate (`throwaway::test`, feature `macros`, on by
//! default), whose docs say what each argument type gets. This crate only reads the
//! signature: everything that happens at run time (the runtime, the units, what is kept
//! when the test fails, the skip rule) is library code in `throwaway::testing`.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Ident, ItemFn, Pat, Path, Token, Type};

/// Runs a function as a test whose arguments come from shared containers: each
/// `#[from(STATIC)] name: Type` argument is handed out by the `throwaway::Shared` in that
/// `static`, and what it gets follows `Type` (a fresh database, a Redis logical database,
/// any module's isolation unit, its URL as a `String`, or `&'static` the shared service
/// itself).
///
/// ```text
/// #[throwaway::test]
/// async fn stores_a_user(#[from(PG)] db: TestDatabase) -> Result<(), Box<dyn Error>> { … }
///
/// #[throwaway::test(skip_without_engine)]
/// fn plain(#[from(REDIS)] cache: RedisDatabase) { … }
/// ```
///
/// See `throwaway::test` for the whole story.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    let options = syn::parse_macro_input!(args as Options);
    let function = syn::parse_macro_input!(item as ItemFn);
    expand(options, function)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The attribute's own arguments: `skip_without_engine`, or nothing.
struct Options {
    skip_without_engine: bool,
}

impl Parse for Options {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut options = Options {
            skip_without_engine: false,
        };
        for word in Punctuated::<Ident, Token![,]>::parse_terminated(input)? {
            if word == "skip_without_engine" {
                options.skip_without_engine = true;
            } else {
                return Err(syn::Error::new(
                    word.span(),
                    format!(
                        "#[throwaway::test] has no option `{word}`: the only one is \
                         `skip_without_engine` (skip, rather than fail, when no engine answers)"
                    ),
                ));
            }
        }
        Ok(options)
    }
}

/// One argument: where it comes from, and how the library is asked for it.
struct Argument {
    source: Path,
    ty: Type,
    name: String,
    span: Span,
}

fn expand(options: Options, mut function: ItemFn) -> syn::Result<TokenStream2> {
    if let Some(generics) = function.sig.generics.lt_token.map(|lt| lt.span).or(function
        .sig
        .generics
        .where_clause
        .as_ref()
        .map(|w| w.span()))
    {
        return Err(syn::Error::new(
            generics,
            "a #[throwaway::test] cannot be generic: the test harness calls it with no type \
             arguments",
        ));
    }
    let mut arguments = Vec::new();
    for input in &mut function.sig.inputs {
        let FnArg::Typed(typed) = input else {
            return Err(syn::Error::new(
                input.span(),
                "a #[throwaway::test] is a free function; `self` has no place in it",
            ));
        };
        let name = match &*typed.pat {
            Pat::Ident(ident) => ident.ident.to_string(),
            other => quote!(#other).to_string(),
        };
        let span = typed.span();
        let source = take_from(&mut typed.attrs, &name, span)?;
        arguments.push(Argument {
            source,
            ty: (*typed.ty).clone(),
            name,
            span: typed.ty.span(),
        });
    }

    // The test harness's function takes no arguments; the user's function, unchanged but
    // for the `#[from]` attributes, is nested inside it under the same name.
    let outer_attrs: Vec<Attribute> = std::mem::take(&mut function.attrs);
    let vis = function.vis.clone();
    let ident = function.sig.ident.clone();
    let test_name = ident.to_string();
    let skip = options.skip_without_engine;
    let handed: Vec<Ident> = (0..arguments.len())
        .map(|i| format_ident!("__throwaway_arg{i}"))
        .collect();
    let hand_outs = arguments.iter().map(|argument| {
        let Argument {
            source,
            ty,
            name,
            span,
        } = argument;
        // The shared service itself is asked for with a reference type (`&'static
        // PostgresContainer`); everything else goes through the `Handout` trait, whose
        // error says what can be handed out.
        if let Type::Reference(reference) = ty {
            let target = &reference.elem;
            quote_spanned! {*span=>
                __throwaway_test.shared::<_, #target>(::throwaway::testing::source(&#source), stringify!(#source), #name).await?
            }
        } else {
            quote_spanned! {*span=>
                __throwaway_test.hand_out::<#ty, _>(::throwaway::testing::source(&#source), stringify!(#source), #name).await?
            }
        }
    });
    let run = if function.sig.asyncness.is_some() {
        quote!(run_async)
    } else {
        quote!(run_plain)
    };
    let output = match &function.sig.output {
        syn::ReturnType::Default => quote!(()),
        syn::ReturnType::Type(_, ty) => quote!(#ty),
    };
    let output_span = function.sig.output.span();
    let check_output = quote_spanned! {output_span=>
        ::throwaway::testing::outcome_check::<#output>();
    };

    // The work is in a function of its own, outside the `#[test]` one, so that it is
    // type-checked in every build (a `#[test]` function exists only in test builds).
    let runner = format_ident!("__throwaway_test_{}", ident);
    Ok(quote! {
        #[::core::prelude::v1::test]
        #(#outer_attrs)*
        #vis fn #ident() {
            #runner()
        }

        #[doc(hidden)]
        #[allow(dead_code, non_snake_case)]
        fn #runner() {
            #function
            #check_output
            let __throwaway_test = ::throwaway::testing::Test::new(
                ::core::concat!(::core::module_path!(), "::", #test_name),
                #skip,
            );
            __throwaway_test.clone().#run(
                async move {
                    ::core::result::Result::Ok((#(#hand_outs,)*))
                },
                |(#(#handed,)*)| #ident(#(#handed),*),
            )
        }
    })
}

/// Removes the `#[from(STATIC)]` attribute from an argument and returns the path in it.
fn take_from(attrs: &mut Vec<Attribute>, name: &str, span: Span) -> syn::Result<Path> {
    let position = attrs.iter().position(|a| a.path().is_ident("from"));
    let Some(position) = position else {
        return Err(syn::Error::new(
            span,
            format!(
                "argument `{name}` of a #[throwaway::test] needs #[from(STATIC)]: the `static` \
                 throwaway::Shared it is handed out by, as in `#[from(PG)] {name}: TestDatabase`"
            ),
        ));
    };
    let attr = attrs.remove(position);
    let path: Path = attr.parse_args().map_err(|err| {
        syn::Error::new(
            err.span(),
            format!(
                "#[from(…)] on `{name}` names the `static` throwaway::Shared it comes from, \
                 as in #[from(PG)] or #[from(crate::support::PG)]"
            ),
        )
    })?;
    if let Some(other) = attrs.iter().find(|a| a.path().is_ident("from")) {
        return Err(syn::Error::new(
            other.span(),
            format!("argument `{name}` has more than one #[from(…)]: keep one"),
        ));
    }
    Ok(path)
}
